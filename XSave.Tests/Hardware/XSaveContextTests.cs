using System;
using System.Runtime.CompilerServices;
using NUnit.Framework;
using XSave.Tests.Support;

namespace XSave.Tests.Hardware;

/// <summary>The library-owned context: bare XSAVE/XRSTOR, checked on x87 and MXCSR, which managed code never touches.</summary>
[RequiresXSave]
public class XSaveContextTests : RestoresCpuState
{
    private XSaveArea WithRounding(int rounding)
    {
        XSaveArea area = _original;
        area.Legacy.Mxcsr = Cpu.WithRounding(_original.Legacy.Mxcsr, rounding);
        return area;
    }

    private static Mxcsr Rounding() => Cpu.MxcsrControl() & (Mxcsr.RoundingControl0 | Mxcsr.RoundingControl1);

    [Test]
    public void A_new_context_restores_the_init_state()
    {
        var context = new XSaveContext();
        XSaveArea changed = WithRounding(3);
        changed.Legacy.Fcw = (X87ControlWord)0x0E7F;
        changed.Load();

        context.Restore();
        XSaveArea back = Cpu.Saved();

        Assert.Multiple(() =>
        {
            Assert.That(back.Legacy.Mxcsr & ~(Mxcsr)0x3F, Is.EqualTo(Mxcsr.AllExceptionMasks), "MXCSR 0x1F80");
            Assert.That((ushort)back.Legacy.Fcw, Is.EqualTo(0x037F));
            // XSAVE may report a component in use in its init state (SDM vol. 1 §13.6), so the values are checked.
            Assert.That((ushort)back.Legacy.Fsw, Is.Zero, "x87 in its init state: FSW");
            Assert.That(back.Legacy.AbridgedFtw, Is.Zero, "x87 in its init state: every register empty");
        });
    }

    [Test]
    public void Restore_brings_back_what_Save_saved_x87_registers_included()
    {
        XSaveArea state = WithRounding(2);
        state.Header.XStateBv |= XFeatures.X87;
        state.Legacy.Fcw = (X87ControlWord)0x0E7F;
        state.Legacy.Fsw = 0;
        state.Legacy.AbridgedFtw = 0xFF;
        for (int i = 0; i < 8; i++)
        {
            state.Legacy.St[i] = new X87Register { SignAndExponent = (ushort)(0x4000 + i), Significand = 0xC000_0000_0000_0000UL | (uint)i };
        }

        var context = new XSaveContext();
        state.Load();
        context.Save();
        _original.Load();
        context.Restore();
        XSaveArea back = Cpu.Saved();
        _original.Load();

        Assert.Multiple(() =>
        {
            Assert.That(back.Legacy.Mxcsr & (Mxcsr.RoundingControl0 | Mxcsr.RoundingControl1), Is.EqualTo(Mxcsr.RoundingControl1));
            Assert.That((ushort)back.Legacy.Fcw, Is.EqualTo(0x0E7F));
            for (int i = 0; i < 8; i++)
            {
                Assert.That(back.Legacy.St[i].SignAndExponent, Is.EqualTo(0x4000 + i), $"ST{i} exponent");
                Assert.That(back.Legacy.St[i].Significand, Is.EqualTo(0xC000_0000_0000_0000UL | (uint)i), $"ST{i} significand");
            }
        });
    }

    [Test]
    public void Two_contexts_switch_like_fibers()
    {
        var first = new XSaveContext();
        var second = new XSaveContext();
        WithRounding(1).Load();
        first.Save();
        WithRounding(2).Load();
        second.Save();

        var seen = new Mxcsr[4];
        for (int round = 0; round < 2; round++)
        {
            first.Restore();
            seen[2 * round] = Rounding();
            first.Save();
            second.Restore();
            seen[(2 * round) + 1] = Rounding();
            second.Save();
        }

        Assert.That(seen, Is.EqualTo(new[] { Mxcsr.RoundingControl0, Mxcsr.RoundingControl1, Mxcsr.RoundingControl0, Mxcsr.RoundingControl1 }));
    }

    [Test]
    public unsafe void Area_is_an_aligned_standard_image_recording_this_CPU_layout()
    {
        var context = new XSaveContext();
        Assert.That(context.Area.AsReadOnlySpan()[464..512].ToArray(), Is.EqualTo(Processor.LayoutDescriptorBytes.ToArray()), "before any save");
        WithRounding(1).Load();
        context.Save();
        _original.Load();

        XSaveArea copy = context.Area;
        Assert.Multiple(() =>
        {
            Assert.That((ulong)Unsafe.AsPointer(ref Unsafe.AsRef(in context.Area)) % XSaveArea.Alignment, Is.EqualTo(0UL), "64-byte aligned");
            Assert.That(copy.Header.XCompBv, Is.Zero);
            Assert.That(copy.Header.XStateBv & ~XSaveArea.SavedFeatures, Is.EqualTo((XFeatures)0));
            Assert.That(copy.AsSpan()[464..512].ToArray(), Is.EqualTo(Processor.LayoutDescriptorBytes.ToArray()));
            Assert.That(copy.Legacy.Mxcsr & (Mxcsr.RoundingControl0 | Mxcsr.RoundingControl1), Is.EqualTo(Mxcsr.RoundingControl0));
        });

        copy.Load(); // a copy is an ordinary area: the checked restore accepts it
        Assert.That(Rounding(), Is.EqualTo(Mxcsr.RoundingControl0));
    }

    [Test]
    public unsafe void A_context_keeps_its_address_and_state_across_compacting_collections()
    {
        object?[] garbage = new object?[1000];
        for (int i = 0; i < garbage.Length; i++)
        {
            garbage[i] = new byte[100];
        }

        var context = new XSaveContext();
        nint before = (nint)Unsafe.AsPointer(ref Unsafe.AsRef(in context.Area));
        WithRounding(3).Load();
        context.Save();
        _original.Load();

        // Free what sits below the context's memory and compact: an ordinary array would move.
        Array.Clear(garbage);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();

        context.Restore();
        Mxcsr rounding = Rounding();
        _original.Load();
        Assert.Multiple(() =>
        {
            Assert.That((nint)Unsafe.AsPointer(ref Unsafe.AsRef(in context.Area)), Is.EqualTo(before), "the memory did not move");
            Assert.That(rounding, Is.EqualTo(Mxcsr.RoundingControl0 | Mxcsr.RoundingControl1));
        });
    }
}
