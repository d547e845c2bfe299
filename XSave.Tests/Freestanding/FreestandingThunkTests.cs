using XSave.Tests.FreestandingProgram;

namespace XSave.Tests.Freestanding;

/// <summary>
/// The freestanding form run on this machine's CPU, at CPL 3: XSave.Tests.FreestandingProgram
/// is compiled the way a kernel is (XSAVE_FREESTANDING, no XSave.Runtime) and maps its thunks
/// itself (mmap, then mprotect to read+execute); every status it returns is compared with what
/// XSave.Runtime reads from the same CPU. CI runs these on qemu's CPU models too.
/// </summary>
[NonParallelizable] // the restores below change this thread's MXCSR, and put it back
public unsafe class FreestandingThunkTests
{
    private delegate void Edit(byte* area);

    private delegate string Save(void* area);

    private static string Install()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows())
        {
            Assert.Ignore("The program maps its thunks with mmap/mprotect (Linux) or VirtualAlloc/VirtualProtect (Windows).");
        }

        return FreestandingKernel.Install();
    }

    [Test]
    [RequiresXSave]
    public void Installs_and_probes_what_the_runtime_reads()
    {
        Assert.That(Install(), Is.EqualTo("Ok"));
        Assert.That(FreestandingKernel.Xcr0, Is.EqualTo((ulong)Processor.Xcr0), "XCR0 from the probe's XGETBV");
        Assert.That(FreestandingKernel.PrivilegeLevel, Is.EqualTo(3), "a Linux process runs at CPL 3");
        Assert.That(FreestandingKernel.MxcsrMask, Is.EqualTo(Processor.MxcsrMask), "MXCSR_MASK from the probe's FXSAVE");
    }

    [Test]
    [RequiresXSave]
    public void Privileged_instructions_are_refused_by_their_own_machine_code_at_CPL_3()
    {
        Assert.That(Install(), Is.EqualTo("Ok"));
        ulong xcr0 = (ulong)Processor.Xcr0;
        Assert.That(FreestandingKernel.ReadXcr(0, out ulong read), Is.EqualTo("Ok"));
        Assert.That(read, Is.EqualTo(xcr0));

        // XCR0 as it is passes every C# check, so only the CS check in the machine code stands
        // between this process and #GP: the process is still here to see the status.
        Assert.That(FreestandingKernel.WriteXcr(0u, xcr0), Is.EqualTo("NotPrivileged"));
        Assert.That(FreestandingKernel.ReadCr4(out ulong cr4), Is.EqualTo("NotPrivileged"));
        Assert.That(cr4, Is.EqualTo(0UL), "nothing read");
        Assert.That(FreestandingKernel.EnableOsXSave(), Is.EqualTo("NotPrivileged"));
        Assert.That(FreestandingKernel.ReadXcr(0, out read), Is.EqualTo("Ok"));
        Assert.That(read, Is.EqualTo(xcr0), "XCR0 unchanged");
    }

    [Test]
    [RequiresXSave]
    public void XSETBV_values_the_instruction_would_refuse_are_named_before_it_runs()
    {
        Assert.That(Install(), Is.EqualTo("Ok"));
        ulong xcr0 = (ulong)Processor.Xcr0;
        Assert.That(FreestandingKernel.CheckXSetBv(xcr0), Is.EqualTo("Ok"));
        Assert.That(FreestandingKernel.CheckXSetBv(xcr0 & ~1UL), Is.EqualTo("InvalidXcr0"), "x87 off");
        Assert.That(FreestandingKernel.CheckXSetBv(0x5UL), Is.EqualTo("InvalidXcr0"), "AVX without SSE");
        Assert.That(FreestandingKernel.CheckXSetBv(xcr0 | (1UL << 62)), Is.EqualTo("InvalidXcr0"), "a bit CPUID does not offer");
        Assert.That(FreestandingKernel.CheckXSetBv(0x27UL), Is.EqualTo("InvalidXcr0"), "opmask without the ZMM components");
        Assert.That(FreestandingKernel.CheckXSetBv(0xFUL), Is.EqualTo("InvalidXcr0"), "BNDREGS without BNDCSR");
        Assert.That(FreestandingKernel.WriteXcr(1u, xcr0), Is.EqualTo("InvalidRegister"), "XCR1 is read-only");
        Assert.That(FreestandingKernel.ReadXcr(2, out _), Is.EqualTo("InvalidRegister"));
    }

    [Test]
    [RequiresXSave]
    public void Save_and_restore_change_the_real_MXCSR_and_refuse_what_would_fault()
    {
        Assert.That(Install(), Is.EqualTo("Ok"));
        using var buffer = new AlignedBuffer(3 * 4096);
        byte* saved = (byte*)buffer.Pointer, edited = saved + 4096, bad = saved + 8192;
        Assert.That(FreestandingKernel.Save(saved), Is.EqualTo("Ok"));
        uint mxcsr = *(uint*)(saved + 24);
        Assert.That(mxcsr & ~0x3Fu, Is.EqualTo((uint)Cpu.MxcsrControl()), "XSAVE wrote this thread's MXCSR");
        Assert.That(*(ulong*)(saved + 512) & ~(ulong)Processor.Xcr0, Is.Zero, "XSTATE_BV within XCR0");

        uint nearest = FreestandingKernel.OneThird(1f, 3f);
        new Span<byte>(saved, 4096).CopyTo(new Span<byte>(edited, 4096));
        *(uint*)(edited + 24) = mxcsr | 0x6000u; // rounding toward zero
        *(ulong*)(edited + 512) |= 2;                       // SSE state in use, so XRSTOR loads MXCSR either way
        try
        {
            Assert.That(FreestandingKernel.Restore(edited), Is.EqualTo("Ok"));
            uint towardZero = FreestandingKernel.OneThird(1f, 3f);
            Assert.That(FreestandingKernel.Restore(saved), Is.EqualTo("Ok"));
            Assert.That(towardZero, Is.EqualTo(nearest - 1), "truncated after the restore");
            Assert.That(FreestandingKernel.OneThird(1f, 3f), Is.EqualTo(nearest), "back to nearest");
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
        Assert.That(FreestandingKernel.Restore(saved + 16), Is.EqualTo("MisalignedArea"));
        Assert.That(FreestandingKernel.Restore(null), Is.EqualTo("NullArea"));
        Assert.That(FreestandingKernel.FxSave(saved + 8), Is.EqualTo("MisalignedArea"));
        Assert.That(FreestandingKernel.FxRestore(saved), Is.EqualTo("Ok"));
        Assert.That(FreestandingKernel.Switch(edited, saved), Is.EqualTo("Ok"));
    }

    [Test]
    [RequiresXSave]
    public void A_save_into_a_used_page_leaves_an_area_XRSTOR_accepts()
    {
        Assert.That(Install(), Is.EqualTo("Ok"));
        using var buffer = new AlignedBuffer(4096);
        byte* area = (byte*)buffer.Pointer;
        new Span<byte>(area, 4096).Fill(0xAF); // what firmware leaves in fresh pages (OVMF's fill pattern)
        Assert.That(FreestandingKernel.Save(area), Is.EqualTo("Ok"));
        Assert.That(*(ulong*)(area + 512) & ~(ulong)Processor.Xcr0, Is.Zero, "XSTATE_BV has no leftover bits");
        Assert.That(new Span<byte>(area + 520, 56).ToArray(), Is.All.Zero, "XCOMP_BV and the reserved header bytes, which XSAVE never writes");
        Assert.That(FreestandingKernel.Restore(area), Is.EqualTo("Ok"));
    }

    [Test]
    [RequiresXSave]
    public void A_compacted_save_restores_through_the_same_checks()
    {
        if (!Processor.Profile.HasXSaveC)
        {
            Assert.Ignore("This CPU has no XSAVEC.");
        }

        Assert.That(Install(), Is.EqualTo("Ok"));
        using var buffer = new AlignedBuffer(4096);
        byte* area = (byte*)buffer.Pointer;
        Assert.That(FreestandingKernel.SaveCompacted(area), Is.EqualTo("Ok"));
        Assert.That(*(ulong*)(area + 520) >> 63, Is.EqualTo(1UL), "XCOMP_BV bit 63: compacted");
        Assert.That(FreestandingKernel.Restore(area), Is.EqualTo("Ok"));
        *(ulong*)(area + 520) &= ~2UL;
        *(ulong*)(area + 512) |= 2UL;
        Assert.That(FreestandingKernel.Restore(area), Is.EqualTo("InvalidHeader"), "XSTATE_BV names SSE, XCOMP_BV does not");
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
        PkruCase(area, FreestandingKernel.Save, Cpu.Saved().Pkru | 1, "KeyZeroLocked", "standard format, key 0 access-disabled");
        PkruCase(area, FreestandingKernel.Save, Cpu.Saved().Pkru, "Ok", "standard format, PKRU as it is");
        if (Processor.Profile.HasXSaveC)
        {
            // The compacted offset comes from the probe's sizes and alignments, not from CPUID's standard offset.
            PkruCase(area, FreestandingKernel.SaveCompacted, Cpu.Saved().Pkru | 2, "KeyZeroLocked", "compacted format, key 0 write-disabled");
            PkruCase(area, FreestandingKernel.SaveCompacted, Cpu.Saved().Pkru, "Ok", "compacted format, PKRU as it is");
        }
    }

    private static void PkruCase(byte* area, Save save, uint pkru, string expected, string what)
    {
        Assert.That(save(area), Is.EqualTo("Ok"));
        ref XSaveArea view = ref *(XSaveArea*)area;
        view.SetPkru(pkru); // found as the views find it: XCOMP_BV, or this CPU's standard offset
        Assert.That(FreestandingKernel.Restore(area), Is.EqualTo(expected), what);
    }

    [Test]
    [RequiresXSave]
    public void Without_XSAVEC_the_compacted_thunks_say_NotSupported()
    {
        if (Processor.Profile.HasXSaveC)
        {
            Assert.Ignore("This CPU has XSAVEC.");
        }

        Assert.That(Install(), Is.EqualTo("Ok"));
        using var buffer = new AlignedBuffer(4096);
        Assert.That(FreestandingKernel.SaveCompacted(buffer.Pointer), Is.EqualTo("NotSupported"));
    }

    [Test]
    public void Without_XSAVE_the_XSAVE_thunks_say_NotSupported_and_FXSAVE_still_runs()
    {
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.Ignore("The thunks are x86-64 machine code.");
        }

        if (CpuidLeaves.IsXSaveImplemented)
        {
            Assert.Ignore("This CPU has XSAVE.");
        }

        Assert.That(Install(), Is.EqualTo("Ok"));
        using var buffer = new AlignedBuffer(4096);
        byte* area = (byte*)buffer.Pointer;
        Assert.That(FreestandingKernel.Save(area), Is.EqualTo("NotSupported"));
        Assert.That(FreestandingKernel.ReadXcr(0, out _), Is.EqualTo("NotSupported"), "XGETBV would raise #UD");
        Assert.That(FreestandingKernel.FxSave(area), Is.EqualTo("Ok"));
        Assert.That(*(uint*)(area + 24) & ~0x3Fu, Is.EqualTo(0x1F80u), "FXSAVE wrote this thread's MXCSR");
    }

    private static void Refused(byte* saved, byte* bad, Edit edit, string status, string rule)
    {
        new Span<byte>(saved, 4096).CopyTo(new Span<byte>(bad, 4096));
        edit(bad);
        byte[] before = new Span<byte>(bad, 4096).ToArray();
        Assert.That(FreestandingKernel.Restore(bad), Is.EqualTo(status), rule);
        Assert.That(new Span<byte>(bad, 4096).ToArray(), Is.EqualTo(before), $"{rule}: the area is untouched");
    }
}
