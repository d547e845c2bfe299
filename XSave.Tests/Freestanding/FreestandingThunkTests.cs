using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using XSave.Tests.Support;

namespace XSave.Tests.Freestanding;

/// <summary>
/// The freestanding form run on this machine's CPU, at CPL 3, in a program that knows nothing of
/// XSave.Runtime: it maps the thunks itself (mmap, then mprotect to read+execute), and every
/// status it sees is compared with what XSave.Runtime reads from the same CPU.
/// </summary>
[NonParallelizable] // the restores below change this thread's MXCSR, and put it back
public unsafe class FreestandingThunkTests
{
    private const string Program = """
        using System.Runtime.InteropServices;
        using XSave;

        internal static unsafe partial class Kernel
        {
            [XSaveThunk(XSaveInstruction.XSave)]
            public static partial XSaveStatus Save(void* area);

            [XSaveThunk(XSaveInstruction.XSaveC)]
            public static partial XSaveStatus SaveCompacted(void* area);

            [XSaveThunk(XSaveInstruction.XRstor)]
            public static partial XSaveStatus Restore(void* area);

            [XSaveThunk(XSaveInstruction.FxSave)]
            public static partial XSaveStatus FxSave(void* region);

            [XSaveThunk(XSaveInstruction.FxRstor)]
            public static partial XSaveStatus FxRestore(void* region);

            [XSaveThunk(XSaveInstruction.XSaveXRstor)]
            public static partial XSaveStatus Switch(void* save, void* restore);

            [XSaveThunk(XSaveInstruction.XGetBv)]
            public static partial XSaveStatus ReadXcr(uint register, out ulong value);

            [XSaveThunk(XSaveInstruction.XSetBv)]
            public static partial XSaveStatus WriteXcr(uint register, ulong value);

            [XSaveThunk(XSaveInstruction.ReadCr4)]
            public static partial XSaveStatus ReadCr4(out ulong value);

            [XSaveThunk(XSaveInstruction.EnableOsXSave)]
            public static partial XSaveStatus EnableOsXSave();

            public static int Install() => (int)XSaveThunks.Install(XSaveCallingConvention.SystemV, &Allocate, &Protect);

            public static ulong Xcr0() => XSaveThunks.Xcr0;

            public static int PrivilegeLevel() => XSaveThunks.PrivilegeLevel;

            public static uint MxcsrMask() => XSaveThunks.MxcsrMask;

            public static int CheckXSetBv(ulong value) => (int)XSaveThunks.CheckXSetBv(0, value);

            // What a freestanding program on Linux does for executable memory: write, then execute.
            private static byte* Allocate(nuint length)
            {
                byte* page = mmap(null, length, 3 /* read, write */, 0x22 /* private, anonymous */, -1, 0);
                return page == (byte*)-1 ? null : page;
            }

            private static bool Protect(byte* code, nuint length) => mprotect(code, length, 5 /* read, execute */) == 0;

            [DllImport("libc")]
            private static extern byte* mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

            [DllImport("libc")]
            private static extern int mprotect(void* address, nuint length, int protection);

            // 1/3 in single precision: the last bit shows the rounding mode MXCSR holds.
            [MethodImpl(MethodImplOptions.NoInlining)]
            public static uint OneThird(float one, float three) => BitConverter.SingleToUInt32Bits(one / three);
        }
        """;

    private static Type? s_kernel;

    private static Type Kernel
    {
        get
        {
            if (s_kernel is null)
            {
                if (!OperatingSystem.IsLinux())
                {
                    Assert.Ignore("The program maps its thunks with Linux's mmap/mprotect.");
                }

                var compilation = FreestandingHarness.AgainstBcl("using System; using System.Runtime.CompilerServices;\n" + Program);
                var (_, output) = FreestandingHarness.Run(compilation);
                Assert.That(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()), Is.Empty);
                using var image = new MemoryStream();
                Assert.That(output.Emit(image).Success, Is.True);
                s_kernel = Assembly.Load(image.ToArray()).GetType("Kernel")!;
            }

            return s_kernel;
        }
    }

    private delegate void Edit(byte* area);

    private static object? Call(string method, params object?[] arguments) =>
        Kernel.GetMethod(method, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, arguments);

    private static string Status(object? value) => Enum.ToObject(Kernel.Assembly.GetType("XSave.XSaveStatus")!, value!).ToString()!;

    private static object Pointer(void* address) => System.Reflection.Pointer.Box(address, typeof(void*));

    private static string Install()
    {
        return Status(Call("Install"));
    }

    [Test]
    [RequiresXSave]
    public void Installs_and_probes_what_the_runtime_reads()
    {
        Assert.That(Install(), Is.EqualTo("Ok"));
        Assert.That(Call("Xcr0"), Is.EqualTo((ulong)Processor.Xcr0), "XCR0 from the probe's XGETBV");
        Assert.That(Call("PrivilegeLevel"), Is.EqualTo(3), "a Linux process runs at CPL 3");
        Assert.That(Call("MxcsrMask"), Is.EqualTo(Processor.MxcsrMask), "MXCSR_MASK from the probe's FXSAVE");
    }

    [Test]
    [RequiresXSave]
    public void Privileged_instructions_are_refused_by_their_own_machine_code_at_CPL_3()
    {
        Assert.That(Install(), Is.EqualTo("Ok"));
        ulong xcr0 = (ulong)Processor.Xcr0;
        object?[] read = [0u, 0UL];
        Assert.That(Status(Call("ReadXcr", read)), Is.EqualTo("Ok"));
        Assert.That(read[1], Is.EqualTo(xcr0));

        // XCR0 as it is passes every C# check, so only the CS check in the machine code stands
        // between this process and #GP: the process is still here to see the status.
        Assert.That(Status(Call("WriteXcr", 0u, xcr0)), Is.EqualTo("NotPrivileged"));
        object?[] cr4 = [123UL];
        Assert.That(Status(Call("ReadCr4", cr4)), Is.EqualTo("NotPrivileged"));
        Assert.That(cr4[0], Is.EqualTo(0UL), "nothing read");
        Assert.That(Status(Call("EnableOsXSave")), Is.EqualTo("NotPrivileged"));
        Assert.That(Status(Call("ReadXcr", read)), Is.EqualTo("Ok"));
        Assert.That(read[1], Is.EqualTo(xcr0), "XCR0 unchanged");
    }

    [Test]
    [RequiresXSave]
    public void XSETBV_values_the_instruction_would_refuse_are_named_before_it_runs()
    {
        Assert.That(Install(), Is.EqualTo("Ok"));
        ulong xcr0 = (ulong)Processor.Xcr0;
        Assert.That(Status(Call("CheckXSetBv", xcr0)), Is.EqualTo("Ok"));
        Assert.That(Status(Call("CheckXSetBv", xcr0 & ~1UL)), Is.EqualTo("InvalidXcr0"), "x87 off");
        Assert.That(Status(Call("CheckXSetBv", 0x5UL)), Is.EqualTo("InvalidXcr0"), "AVX without SSE");
        Assert.That(Status(Call("CheckXSetBv", xcr0 | (1UL << 62))), Is.EqualTo("InvalidXcr0"), "a bit CPUID does not offer");
        Assert.That(Status(Call("CheckXSetBv", 0x27UL)), Is.EqualTo("InvalidXcr0"), "opmask without the ZMM components");
        Assert.That(Status(Call("CheckXSetBv", 0xFUL)), Is.EqualTo("InvalidXcr0"), "BNDREGS without BNDCSR");
        Assert.That(Status(Call("WriteXcr", 1u, xcr0)), Is.EqualTo("InvalidRegister"), "XCR1 is read-only");
        object?[] read = [2u, 0UL];
        Assert.That(Status(Call("ReadXcr", read)), Is.EqualTo("InvalidRegister"));
    }

    [Test]
    [RequiresXSave]
    public void Save_and_restore_change_the_real_MXCSR_and_refuse_what_would_fault()
    {
        Assert.That(Install(), Is.EqualTo("Ok"));
        using var buffer = new AlignedBuffer(3 * 4096);
        byte* saved = (byte*)buffer.Pointer, edited = saved + 4096, bad = saved + 8192;
        Assert.That(Status(Call("Save", Pointer(saved))), Is.EqualTo("Ok"));
        uint mxcsr = *(uint*)(saved + 24);
        Assert.That(mxcsr & ~0x3Fu, Is.EqualTo((uint)Cpu.MxcsrControl()), "XSAVE wrote this thread's MXCSR");
        Assert.That(*(ulong*)(saved + 512) & ~(ulong)Processor.Xcr0, Is.Zero, "XSTATE_BV within XCR0");

        uint nearest = (uint)Call("OneThird", 1f, 3f)!;
        new Span<byte>(saved, 4096).CopyTo(new Span<byte>(edited, 4096));
        *(uint*)(edited + 24) = mxcsr | 0x6000u; // rounding toward zero
        *(ulong*)(edited + 512) |= 2;                       // SSE state in use, so XRSTOR loads MXCSR either way
        try
        {
            Assert.That(Status(Call("Restore", Pointer(edited))), Is.EqualTo("Ok"));
            uint towardZero = (uint)Call("OneThird", 1f, 3f)!;
            Assert.That(Status(Call("Restore", Pointer(saved))), Is.EqualTo("Ok"));
            Assert.That(towardZero, Is.EqualTo(nearest - 1), "truncated after the restore");
            Assert.That((uint)Call("OneThird", 1f, 3f)!, Is.EqualTo(nearest), "back to nearest");
        }
        finally
        {
            // Whatever failed above, this thread leaves with the state it came in with.
            XSaveArea restore = *(XSaveArea*)saved;
            restore.Load();
        }

        Assert.That(nearest, Is.EqualTo(0x3EAAAAABu), "1/3 rounded to nearest");
        Refused(saved, bad, area => *(ulong*)(area + 512) |= 1UL << 63, "InvalidHeader", "XSTATE_BV bit outside XCR0");
        Refused(saved, bad, area => *(ulong*)(area + 520) = 1, "InvalidHeader", "XCOMP_BV without bit 63");
        Refused(saved, bad, area => area[530] = 1, "InvalidHeader", "reserved header byte");
        Refused(saved, bad, area => *(uint*)(area + 24) |= ~Processor.MxcsrMask, "InvalidMxcsr", "MXCSR outside MXCSR_MASK");
        Refused(saved, bad, area => *(uint*)(area + 24) &= ~0x200u, "UnmaskedExceptions", "MXCSR divide-by-zero unmasked");
        Refused(saved, bad, area => { *(ushort*)area &= 0xFFFB; *(ulong*)(area + 512) |= 1; }, "UnmaskedExceptions", "FCW divide-by-zero unmasked");
        Assert.That(Status(Call("Restore", Pointer(saved + 16))), Is.EqualTo("MisalignedArea"));
        Assert.That(Status(Call("Restore", Pointer(null))), Is.EqualTo("NullArea"));
        Assert.That(Status(Call("FxSave", Pointer(saved + 8))), Is.EqualTo("MisalignedArea"));
        Assert.That(Status(Call("FxRestore", Pointer(saved))), Is.EqualTo("Ok"));
        Assert.That(Status(Call("Switch", Pointer(edited), Pointer(saved))), Is.EqualTo("Ok"));
    }

    [Test]
    [RequiresXSave]
    public void A_save_into_a_used_page_leaves_an_area_XRSTOR_accepts()
    {
        Assert.That(Install(), Is.EqualTo("Ok"));
        using var buffer = new AlignedBuffer(4096);
        byte* area = (byte*)buffer.Pointer;
        new Span<byte>(area, 4096).Fill(0xAF); // what firmware leaves in fresh pages (OVMF's fill pattern)
        Assert.That(Status(Call("Save", Pointer(area))), Is.EqualTo("Ok"));
        Assert.That(*(ulong*)(area + 512) & ~(ulong)Processor.Xcr0, Is.Zero, "XSTATE_BV has no leftover bits");
        Assert.That(new Span<byte>(area + 520, 56).ToArray(), Is.All.Zero, "XCOMP_BV and the reserved header bytes, which XSAVE never writes");
        Assert.That(Status(Call("Restore", Pointer(area))), Is.EqualTo("Ok"));
    }

    [Test]
    [RequiresXSave]
    public void A_compacted_save_restores_through_the_same_checks()
    {
        if (!Processor.HasXSaveC)
        {
            Assert.Ignore("This CPU has no XSAVEC.");
        }

        Assert.That(Install(), Is.EqualTo("Ok"));
        using var buffer = new AlignedBuffer(4096);
        byte* area = (byte*)buffer.Pointer;
        Assert.That(Status(Call("SaveCompacted", Pointer(area))), Is.EqualTo("Ok"));
        Assert.That(*(ulong*)(area + 520) >> 63, Is.EqualTo(1UL), "XCOMP_BV bit 63: compacted");
        Assert.That(Status(Call("Restore", Pointer(area))), Is.EqualTo("Ok"));
        *(ulong*)(area + 520) &= ~2UL;
        *(ulong*)(area + 512) |= 2UL;
        Assert.That(Status(Call("Restore", Pointer(area))), Is.EqualTo("InvalidHeader"), "XSTATE_BV names SSE, XCOMP_BV does not");
    }

    [Test]
    [RequiresXSave]
    public void A_PKRU_that_locks_key_zero_is_refused_in_either_format()
    {
        if ((Processor.Xcr0 & XFeatures.Pkru) == 0)
        {
            Assert.Ignore("This CPU does not enable PKRU (XCR0 bit 9).");
        }

        Assert.That(Install(), Is.EqualTo("Ok"));
        using var buffer = new AlignedBuffer(4096);
        byte* area = (byte*)buffer.Pointer;
        PkruCase(area, "Save", Cpu.Saved().Pkru | 1, "KeyZeroLocked", "standard format, key 0 access-disabled");
        PkruCase(area, "Save", Cpu.Saved().Pkru, "Ok", "standard format, PKRU as it is");
        if (Processor.HasXSaveC)
        {
            // The compacted offset comes from the probe's sizes and alignments, not from CPUID's standard offset.
            PkruCase(area, "SaveCompacted", Cpu.Saved().Pkru | 2, "KeyZeroLocked", "compacted format, key 0 write-disabled");
            PkruCase(area, "SaveCompacted", Cpu.Saved().Pkru, "Ok", "compacted format, PKRU as it is");
        }
    }

    private static void PkruCase(byte* area, string save, uint pkru, string expected, string what)
    {
        Assert.That(Status(Call(save, Pointer(area))), Is.EqualTo("Ok"));
        ref XSaveArea view = ref *(XSaveArea*)area;
        view.SetPkru(pkru); // found as the views find it: XCOMP_BV, or this CPU's standard offset
        Assert.That(Status(Call("Restore", Pointer(area))), Is.EqualTo(expected), what);
    }

    [Test]
    [RequiresXSave]
    public void Without_XSAVEC_the_compacted_thunks_say_NotSupported()
    {
        if (Processor.HasXSaveC)
        {
            Assert.Ignore("This CPU has XSAVEC.");
        }

        Assert.That(Install(), Is.EqualTo("Ok"));
        using var buffer = new AlignedBuffer(4096);
        Assert.That(Status(Call("SaveCompacted", Pointer(buffer.Pointer))), Is.EqualTo("NotSupported"));
    }

    [Test]
    public void Without_XSAVE_the_XSAVE_thunks_say_NotSupported_and_FXSAVE_still_runs()
    {
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.Ignore("The thunks are x86-64 machine code.");
        }

        if (Processor.IsXSaveImplemented)
        {
            Assert.Ignore("This CPU has XSAVE.");
        }

        Assert.That(Install(), Is.EqualTo("Ok"));
        using var buffer = new AlignedBuffer(4096);
        byte* area = (byte*)buffer.Pointer;
        Assert.That(Status(Call("Save", Pointer(area))), Is.EqualTo("NotSupported"));
        object?[] read = [0u, 0UL];
        Assert.That(Status(Call("ReadXcr", read)), Is.EqualTo("NotSupported"), "XGETBV would raise #UD");
        Assert.That(Status(Call("FxSave", Pointer(area))), Is.EqualTo("Ok"));
        Assert.That(*(uint*)(area + 24) & ~0x3Fu, Is.EqualTo(0x1F80u), "FXSAVE wrote this thread's MXCSR");
    }

    private static void Refused(byte* saved, byte* bad, Edit edit, string status, string rule)
    {
        new Span<byte>(saved, 4096).CopyTo(new Span<byte>(bad, 4096));
        edit(bad);
        byte[] before = new Span<byte>(bad, 4096).ToArray();
        Assert.That(Status(Call("Restore", Pointer(bad))), Is.EqualTo(status), rule);
        Assert.That(new Span<byte>(bad, 4096).ToArray(), Is.EqualTo(before), $"{rule}: the area is untouched");
    }
}
