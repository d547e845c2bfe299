using System.Runtime.CompilerServices;

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

    private static Mxcsr Rounding() => Cpu.MxcsrControl() & (Mxcsr.RoundDown | Mxcsr.RoundUp);

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
        state.Load(RestoreHazards.X87RegistersInUse); // a full stack, on purpose: no x87 code runs before the save
        context.Save();
        _original.Load();
        context.Restore();
        XSaveArea back = Cpu.Saved();
        _original.Load();

        Assert.Multiple(() =>
        {
            Assert.That(back.Legacy.Mxcsr & (Mxcsr.RoundDown | Mxcsr.RoundUp), Is.EqualTo(Mxcsr.RoundUp));
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

        Assert.That(seen, Is.EqualTo(new[] { Mxcsr.RoundDown, Mxcsr.RoundUp, Mxcsr.RoundDown, Mxcsr.RoundUp }));
    }

    [Test]
    public unsafe void Area_is_aligned_and_in_the_format_the_contexts_save_writes()
    {
        var context = new XSaveContext();
        Assert.That(context.Area.Value.AsReadOnlySpan()[464..512].ToArray(), Is.EqualTo(Processor.LayoutDescriptorBytes.ToArray()), "before any save");

        WithRounding(1).Load();
        context.Save();
        _original.Load();

        XSaveArea copy = context.Area;
        Assert.Multiple(() =>
        {
            Assert.That((ulong)Unsafe.AsPointer(ref Unsafe.AsRef(in context.Area.Value)) % XSaveArea.Alignment, Is.EqualTo(0UL), "64-byte aligned");
            Assert.That(copy.Header.XCompBv, Is.EqualTo(0UL), "this CPU's standard format");
            Assert.That(copy.Header.XStateBv & ~XSaveArea.SavedFeatures, Is.EqualTo((XFeatures)0));
            Assert.That(copy.AsSpan()[464..512].ToArray(), Is.EqualTo(Processor.LayoutDescriptorBytes.ToArray()));
            Assert.That(copy.Legacy.Mxcsr & (Mxcsr.RoundDown | Mxcsr.RoundUp), Is.EqualTo(Mxcsr.RoundDown));
        });

        copy.Load(); // a copy is an ordinary area: the checked restore accepts it
        Assert.That(Rounding(), Is.EqualTo(Mxcsr.RoundDown));
    }

    // The x87 state: no managed code between a restore and a save touches it, so XSAVEOPT's
    // modified optimization really skips it where it was not changed.
    private XSaveArea WithX87Rounding(RoundingControl rounding)
    {
        XSaveArea state = _original;
        state.Legacy.X87Rounding = rounding;
        state.Header.XStateBv |= XFeatures.X87;
        return state;
    }

    /// <summary>
    /// XSAVEOPT skips the components not modified since the last XRSTOR from the same address:
    /// after the context's own restore, what <see cref="XSaveContext.CopyFrom"/> wrote must not
    /// survive a save (the registers still hold what the restore loaded).
    /// </summary>
    [Test]
    public void A_save_after_CopyFrom_records_the_registers_not_the_copied_state()
    {
        var context = new XSaveContext(WithX87Rounding(RoundingControl.Down));
        context.Restore(); // XRSTOR from the context's memory: the CPU tracks it
        context.CopyFrom(WithX87Rounding(RoundingControl.Up)); // software writes that memory
        context.Save();
        _original.Load();
        Assert.That(context.Area.Legacy.X87Rounding, Is.EqualTo(RoundingControl.Down), "the registers' rounding, not CopyFrom's");
    }

    [Test]
    public void A_save_after_the_context_s_own_restore_records_what_changed_since()
    {
        var context = new XSaveContext(WithX87Rounding(RoundingControl.Down));
        context.Save(); // the first save is a full one
        context.Restore();
        var changed = (X87ControlWord)(((ushort)_original.Legacy.Fcw & ~0x0C00) | 0x0800); // rounding up, by FLDCW: no XRSTOR moves the tracking
        FloatingPointControl.SetX87ControlWord(changed);
        context.Save(); // XSAVEOPT where the CPU has it: x87 changed since the restore
        _original.Load();
        Assert.That(context.Area.Legacy.Fcw, Is.EqualTo(changed));
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
        nint before = (nint)Unsafe.AsPointer(ref Unsafe.AsRef(in context.Area.Value));
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
            Assert.That((nint)Unsafe.AsPointer(ref Unsafe.AsRef(in context.Area.Value)), Is.EqualTo(before), "the memory did not move");
            Assert.That(rounding, Is.EqualTo(Mxcsr.RoundDown | Mxcsr.RoundUp));
        });
    }

    [Test]
    public void A_context_created_from_an_area_holds_it_and_leaves_this_threads_registers_alone()
    {
        Mxcsr before = Rounding();
        XSaveArea fiberStart = WithRounding(before == Mxcsr.RoundUp ? 1 : 2);
        fiberStart.SetYmm(5, new YmmRegister(new XmmRegister(5, 55), new XmmRegister(555, 5555)));
        var fiber = new XSaveContext(in fiberStart);
        Mxcsr afterCreation = Rounding();

        fiber.Restore();
        Mxcsr restored = Rounding();
        _original.Load();
        Assert.Multiple(() =>
        {
            Assert.That(afterCreation, Is.EqualTo(before), "creating the context loaded nothing");
            Assert.That(restored, Is.EqualTo(fiberStart.Legacy.Mxcsr & (Mxcsr.RoundDown | Mxcsr.RoundUp)), "Restore loads the given state");
            Assert.That(fiber.Area.Ymm(5), Is.EqualTo(fiberStart.Ymm(5)));
            Assert.That(fiber.Area.Value.AsReadOnlySpan()[464..512].ToArray(), Is.EqualTo(Processor.LayoutDescriptorBytes.ToArray()), "this CPU's layout recorded");
        });
    }

    [Test]
    public void CopyFrom_refuses_what_Load_refuses_and_leaves_the_context_as_it_was()
    {
        var context = new XSaveContext(WithRounding(3));
        byte[] before = context.Area.ToArray();

        XSaveArea reserved = _original;
        reserved.Legacy.Mxcsr |= (Mxcsr)(1u << 31); // a reserved MXCSR bit: XRSTOR would raise #GP
        XSaveArea unmasked = _original;
        unmasked.Legacy.Mxcsr &= ~Mxcsr.ZeroDivideMask;

        var fault = Assert.Throws<InvalidXSaveAreaException>(() => context.CopyFrom(in reserved));
        var hazard = Assert.Throws<InvalidXSaveAreaException>(() => context.CopyFrom(in unmasked));
        Assert.Multiple(() =>
        {
            Assert.That(fault!.Rule, Is.EqualTo(RestoreRule.MxcsrReservedBits));
            Assert.That(hazard!.Rule, Is.EqualTo(RestoreRule.MxcsrExceptionUnmasked));
            Assert.That(context.Area.ToArray(), Is.EqualTo(before), "nothing changed");
            Assert.DoesNotThrow(() => context.CopyFrom(in unmasked, RestoreHazards.UnmaskedSseExceptions), "a hazard the caller allows");
        });
    }

    [Test]
    public void A_compacted_state_is_stored_in_the_format_the_contexts_save_writes()
    {
        if (!Processor.Profile.HasXSaveC)
        {
            Assert.Ignore("This CPU has no XSAVEC: compacted areas cannot be restored here.");
        }

        XSaveArea standard = WithRounding(2);
        standard.SetYmm(9, new YmmRegister(new XmmRegister(9, 99), new XmmRegister(999, 9999)));
        XSaveArea compacted = XSaveImage.Parse(standard.ToArray()).ToCompacted(); // laid out for the components in use only
        var context = new XSaveContext(in compacted);
        ulong laidOutBefore = context.Area.Header.XCompBv;

        context.Restore();
        Mxcsr restored = Rounding();
        context.Save(); // XSAVE would leave XCOMP_BV as it was: the stored format must be the one the save writes
        _original.Load();
        Assert.Multiple(() =>
        {
            Assert.That(context.Area.Header.XCompBv, Is.Zero, "converted to this CPU's standard format, which the save writes");
            Assert.That(laidOutBefore, Is.Zero, "before the save too");
            Assert.That(restored, Is.EqualTo(Mxcsr.RoundUp));
            Assert.That(new XSaveContext(in compacted).Area.Ymm(9), Is.EqualTo(standard.Ymm(9)));
            Assert.That(new XSaveContext(in standard).Area.Ymm(9), Is.EqualTo(standard.Ymm(9)), "a standard state converts too");
        });
    }

    [Test]
    public unsafe void An_aligned_area_is_aligned_keeps_its_address_and_starts_in_the_init_state()
    {
        var holder = new AlignedXSaveArea();
        nint address = (nint)holder.Pointer;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Assert.Multiple(() =>
        {
            Assert.That((long)address % XSaveArea.Alignment, Is.Zero);
            Assert.That((nint)holder.Pointer, Is.EqualTo(address), "pinned: never moves");
            Assert.That((nint)Unsafe.AsPointer(ref holder.Area), Is.EqualTo(address));
            Assert.That(holder.Area.ToArray(), Is.EqualTo(XSaveArea.Initial.ToArray()));
        });

        holder.Area.Legacy.SseRounding = RoundingControl.Up;
        TestThunks.Restore(in holder.Area, (ulong)XSaveArea.SavedFeatures); // a raw thunk, which refuses misaligned areas, accepts it
        Assert.That(Rounding(), Is.EqualTo(Mxcsr.RoundUp));
    }

    [Test]
    public void SwitchTo_saves_this_context_and_restores_the_next_in_one_call()
    {
        var main = new XSaveContext();
        XSaveArea fiberStart = WithRounding(3);
        fiberStart.Legacy.X87Rounding = RoundingControl.Up;
        var fiber = new XSaveContext(in fiberStart);
        Mxcsr before = Rounding();

        main.SwitchTo(fiber);
        Mxcsr inFiber = Rounding();
        X87ControlWord fcwInFiber = Cpu.Saved().Legacy.Fcw;
        fiber.SwitchTo(main);
        Mxcsr back = Rounding();

        Assert.Multiple(() =>
        {
            Assert.That(inFiber, Is.EqualTo(Mxcsr.RoundDown | Mxcsr.RoundUp), "the fiber's MXCSR");
            Assert.That((int)fcwInFiber & 0x0C00, Is.EqualTo(0x0800), "the fiber's x87 rounding (up)");
            Assert.That(back, Is.EqualTo(before), "back in main: its own MXCSR");
            Assert.That(main.Area.Legacy.Mxcsr & (Mxcsr.RoundDown | Mxcsr.RoundUp), Is.EqualTo(before), "main saved what it held");
            Assert.That(fiber.Area.Legacy.X87Rounding, Is.EqualTo(RoundingControl.Up), "the fiber saved what it held");
        });
    }

    [Test]
    public void A_switch_round_trips_every_component_this_CPU_enables()
    {
        XSaveArea built = SetterRoundTripTests.Built();
        built.Legacy.AbridgedFtw = 0; // a context starts where a call can return: with an empty x87 stack
        var start = new XSaveContext(in built);
        var resting = new XSaveContext();
        var next = new XSaveContext();

        // Two switches back to back: the state the first loads from 'start', the second saves back into it.
        resting.SwitchTo(start);
        start.SwitchTo(next);
        XSaveArea saved = start.Area;
        _original.Load();

        Assert.Multiple(() =>
        {
            Assert.That(saved.Legacy.SseRounding, Is.EqualTo(built.Legacy.SseRounding));
            Assert.That(saved.Legacy.X87Rounding, Is.EqualTo(built.Legacy.X87Rounding));
            foreach (XFeatures component in XSaveArea.SavedFeatures.Components())
            {
                if (component >= XFeatures.Avx)
                {
                    Assert.That(saved.GetComponent(component).ToArray(), Is.EqualTo(built.GetComponent(component).ToArray()), component.ToString());
                }
            }

            for (int r = 0; r < 16; r++)
            {
                if (OperatingSystem.IsWindows() && r >= 6)
                {
                    // The Windows x64 form keeps the caller's XMM6–XMM15 across the restore
                    // (callee-saved there): only their upper halves come from the context.
                    Assert.That(saved.Ymm(r).High, Is.EqualTo(built.Ymm(r).High), $"YMM{r}'s upper half");
                    continue;
                }

                Assert.That(saved.Ymm(r), Is.EqualTo(built.Ymm(r)), $"YMM{r}");
            }
        });
    }

    [Test]
    public void SwitchTo_itself_or_to_nothing_is_refused()
    {
        var context = new XSaveContext();
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentException>(() => context.SwitchTo(context))!.Message, Does.Contain("itself"));
            Assert.Throws<ArgumentNullException>(() => context.SwitchTo(null!));
        });
    }
}
