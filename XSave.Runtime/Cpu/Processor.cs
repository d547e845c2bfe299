namespace XSave;

/// <summary>
/// The running processor, read once into a <see cref="CpuProfile"/> (the one model of a CPU: a
/// recorded CPU is a profile too) and its <see cref="CpuSnapshot"/>; every member here is this
/// CPU's, read on first use and cached for the life of the process. What is enabled comes from
/// XCR0 itself (XGETBV); CPUID, read in <see cref="CpuidLeaves"/>, answers yes/no questions (is
/// XSAVE enabled, does XSAVEC exist) and locates components.
/// </summary>
internal static unsafe class Processor
{
    private const int Uninitialised = 0, Ready = 1;
    private static int s_state;
    private static CpuSnapshot s_current;
    private static CpuProfile? s_profile;
    private static uint s_mxcsrMask; // 0 until FXSAVE has read it

    // No static initialisers in this class: under NativeAOT a class constructor would put a
    // "has it run?" check in front of every field read on the Save/Load path.

    /// <summary>This CPU's layout descriptor (bytes 464–511 of every area it saves).</summary>
    public static ReadOnlySpan<byte> LayoutDescriptorBytes => Profile.Descriptor;

    /// <summary>The profile every decision reads, after the first call has read the CPU (throws where XSAVE cannot run).</summary>
    public static CpuProfile Profile
    {
        get
        {
            EnsureReady();
            return s_profile!;
        }
    }

    /// <summary>The snapshot, after the first call has read the CPU (throws where XSAVE cannot run).</summary>
    public static ref readonly CpuSnapshot Snapshot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            EnsureReady();
            return ref s_current;
        }
    }

    /// <summary>XCR0, read once with XGETBV.</summary>
    public static XFeatures Xcr0
    {
        get
        {
            EnsureReady();
            return (XFeatures)s_current.Xcr0;
        }
    }

    /// <summary>The MXCSR bits this CPU accepts (MXCSR_MASK from an FXSAVE, 0 meaning 0xFFBF: SDM vol. 1 §11.6.6).</summary>
    public static uint MxcsrMask
    {
        get
        {
            EnsureReady();
            return s_current.MxcsrMask;
        }
    }

    /// <summary>See <see cref="CpuProfile.SavedSlots"/>.</summary>
    public static ReadOnlySpan<(int Component, ComponentSlot Slot)> SavedSlots => Profile.SavedSlots;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ThrowIfXSaveUnavailable()
    {
        if (!CpuidLeaves.IsXSaveEnabled)
        {
            ThrowXSaveUnavailable();
        }
    }

    /// <summary>FXSAVE/FXRSTOR and the control-word instructions need only x86-64, not XSAVE.</summary>
    public static void ThrowIfNotX64()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException(
                $"FXSAVE/FXRSTOR and the control-word instructions need an x86-64 process; this one is {RuntimeInformation.ProcessArchitecture}. Reading and writing the views works everywhere.");
        }
    }

    /// <summary>
    /// MXCSR_MASK (a reported 0 meaning 0xFFBF), read with FXSAVE on first use: what the
    /// control-word checks need, on any x86-64 CPU, XSAVE or not.
    /// </summary>
    public static uint LegacyMxcsrMask
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            uint mask = System.Threading.Volatile.Read(ref s_mxcsrMask);
            return mask != 0 ? mask : ReadLegacyMxcsrMask();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static uint ReadLegacyMxcsrMask()
    {
        ThrowIfNotX64();
        uint mask = RestoreChecks.MxcsrMaskOrDefault(ReadMxcsrMask());
        System.Threading.Volatile.Write(ref s_mxcsrMask, mask);
        return mask;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowXSaveUnavailable() =>
        throw new PlatformNotSupportedException(RuntimeInformation.ProcessArchitecture != Architecture.X64
            ? $"XSAVE instructions need an x86-64 process; this one is {RuntimeInformation.ProcessArchitecture}. Reading and writing XSaveArea views works everywhere."
            : "XSAVE is not enabled on this processor (CPUID.1:ECX.OSXSAVE is 0).");

    /// <summary>
    /// Reads the CPU on the first call (throwing where XSAVE cannot run); after that, one load and
    /// compare — which is why the hot paths use it in place of <see cref="ThrowIfXSaveUnavailable"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EnsureReady()
    {
        if (System.Threading.Volatile.Read(ref s_state) != Ready)
        {
            ReadProcessor();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReadProcessor()
    {
        if (System.Threading.Volatile.Read(ref s_state) == Ready)
        {
            return;
        }

        ThrowIfXSaveUnavailable();
        // Through the runtime's page, which this maps: its routines, called only once the processor
        // is read, skip the mapping check (the generator's Emitter.Mapped).
        var xcr0 = (XFeatures)Instructions.XGetBv(0);
        s_profile = new CpuProfile("this CPU", xcr0, LegacyMxcsrMask, leafD1Eax: null, CpuidLeaves.Layout, CpuidLeaves.Aligned64);
        s_current = CpuSnapshot.Create(s_profile);

        System.Threading.Volatile.Write(ref s_state, Ready);
    }

    private static uint ReadMxcsrMask()
    {
        byte* buffer = stackalloc byte[LegacyRegion.Size + 16];
        LegacyRegion* region = (LegacyRegion*)(((nuint)buffer + 15) & ~(nuint)15);
        region->MxcsrMask = 0;
        Instructions.FxSave64(region);
        return (uint)region->MxcsrMask; // 0 means the default: CpuProfile applies it
    }
}
