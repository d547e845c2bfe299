using System.Runtime.Intrinsics;

namespace XSave;

// Executing XSAVE/XRSTOR on the live CPU. Everything that could fault is decided here, in
// managed code, before the instruction runs.
public unsafe partial struct XSaveArea
{
    /// <summary>True when this process can execute XSAVE/XRSTOR: x86-64 with XSAVE enabled by the OS.</summary>
    public static bool IsSupported => CpuidLeaves.IsXSaveEnabled;

    /// <summary>The components the OS has enabled: XCR0, read with XGETBV (not CPUID).</summary>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64, or XSAVE is not enabled.</exception>
    public static XFeatures EnabledFeatures => Processor.Xcr0;

    /// <summary>The enabled components that <see cref="Save"/> writes: <see cref="EnabledFeatures"/> within <see cref="SafeFeatures"/>.</summary>
    public static XFeatures SavedFeatures => Processor.Xcr0 & SafeFeatures;

    /// <summary>The enabled components left out because they do not fit the page (AMX tile data, components unknown today).</summary>
    public static XFeatures UnsavedFeatures => Processor.Xcr0 & ~SafeFeatures;

    /// <summary>
    /// Saves the live extended state of this thread into the area with XSAVE64, in the standard
    /// format. The header is reset first (XSAVE leaves XCOMP_BV and the reserved bytes as they
    /// were), so the result always restores. Bytes 464–511, which the SDM leaves to software,
    /// receive this CPU's layout descriptor, so the area can be read correctly anywhere.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Save()
    {
        fixed (XSaveArea* area = &this)
        {
            // Bytes 464–511 are software's (XSAVE never writes them): the machine code records
            // where this CPU put things there and resets the header (XSAVE leaves XCOMP_BV and
            // the reserved bytes as they were), checking first: an area this CPU saved before
            // already holds those bytes, and loads in front of XSAVE cost less than stores.
            RestorePlan* plan = RuntimeTables.RestorePlan;
            if (plan != null && IsAligned(area))
            {
                Instructions.PreparedSave(area, plan);
            }
            else
            {
                SaveUnprepared(area);
            }
        }
    }

    // The first save of the process (no plan yet: reading the processor throws where XSAVE
    // cannot run), and every misaligned one.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SaveUnprepared(XSaveArea* area)
    {
        RuntimeTables.EnsureReady();
        if (IsAligned(area))
        {
            Instructions.PreparedSave(area, RuntimeTables.RestorePlan);
        }
        else
        {
            SaveBounced(area);
        }
    }

    // XSAVE faults on a misaligned area: bounce through aligned stack memory, in the runtime's
    // machine code (CopyRoutines.SaveBounced: no store in front of XSAVE, the copy straight after).
    // The bytes in no saved slot (gaps, components not enabled) stay as the caller had them, as an
    // aligned save leaves them.
    private static void SaveBounced(XSaveArea* area)
    {
        if (RuntimeTables.SavesWithinScratch)
        {
            Unsafe.SkipInit(out SubPageScratch scratch);
            CopyRoutines.SaveBounced(area, scratch.Area);
        }
        else
        {
            SaveBouncedThroughPage(area);
        }
    }

    // Apart, so the stackalloc's stack probe and cookie stay out of the common path's frame.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SaveBouncedThroughPage(XSaveArea* area) =>
        CopyRoutines.SaveBounced(area, AlignedScratch(stackalloc byte[Size + Alignment]));

    /// <summary>
    /// Restores this thread's extended state from the area with XRSTOR64, after checking every
    /// rule whose violation would fault, and refusing a state the thread cannot run in (an
    /// unmasked SSE or x87 exception, a PKRU that locks key 0: <see cref="RestoreRule"/>). What
    /// XRSTOR will read is first copied to private memory, and the copy is checked and restored:
    /// another thread writing the area meanwhile cannot turn an accepted state into a fault. An
    /// MXCSR of 0 beside an MXCSR_MASK of 0 (which no save writes: <c>default(XSaveArea)</c> or a
    /// hand-built area) loads as the init value 0x1F80; FCW likewise loads as 0x037F.
    /// </summary>
    /// <exception cref="InvalidXSaveAreaException">The area breaks a restore rule; nothing was loaded and the area is unchanged.</exception>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64, or XSAVE is not enabled.</exception>
    public readonly void Load()
    {
        Unsafe.SkipInit(out SubPageScratch scratch);
        fixed (XSaveArea* area = &Unsafe.AsRef(in this))
        {
            // The declined area comes back from the machine code: nothing here lives across the call.
            XSaveArea* declined = CopyRoutines.CheckedRestore(area, scratch.Area);
            if (declined != null)
            {
                LoadDeclined(declined, RestoreHazards.None);
            }
        }
    }

    /// <summary>
    /// <see cref="Load()"/>, accepting the hazards named in <paramref name="allowed"/>: for code
    /// that really means to run with unmasked floating-point exceptions or a locked key 0. Every
    /// rule whose violation would fault is still checked.
    /// </summary>
    /// <param name="allowed">The hazards the caller accepts.</param>
    /// <exception cref="InvalidXSaveAreaException">The area breaks a restore rule; nothing was loaded and the area is unchanged.</exception>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64, or XSAVE is not enabled.</exception>
    public readonly void Load(RestoreHazards allowed)
    {
        Unsafe.SkipInit(out SubPageScratch scratch);
        fixed (XSaveArea* area = &Unsafe.AsRef(in this))
        {
            XSaveArea* declined = CopyRoutines.CheckedRestore(area, scratch.Area);
            if (declined != null)
            {
                LoadDeclined(declined, allowed);
            }
        }
    }

    // What the machine code declined, or every area before the tables were built: the managed
    // path decides (and throws where XSAVE cannot run), on a copy of its own.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LoadDeclined(XSaveArea* area, RestoreHazards allowed)
    {
        RuntimeTables.EnsureReady();
        LoadBounced(area, validate: true, allowed);
    }

    /// <summary>
    /// <see cref="Load()"/> without the validation, for hot paths that only restore areas they saved
    /// themselves. An invalid area raises #GP inside XRSTOR, which ends the process.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void LoadUnchecked()
    {
        Processor.EnsureReady();
        fixed (XSaveArea* area = &Unsafe.AsRef(in this))
        {
            // Straight through where it can: aligned, control words set.
            if (IsAligned(area) && !area->_legacy.HasUnsetControlWords)
            {
                Instructions.XRstor64(area);
            }
            else
            {
                LoadBounced(area, validate: false, RestoreHazards.None);
            }
        }
    }

    /// <summary>Puts every component of <see cref="SavedFeatures"/> into its init state (loads <see cref="Initial"/>).</summary>
    public static void Clear()
    {
        Processor.ThrowIfXSaveUnavailable();
        XSaveArea* scratch = AlignedScratch(stackalloc byte[Size + Alignment]);
        // With XSTATE_BV = 0, XRSTOR reads only MXCSR and the header (SDM vol. 1 §13.8.1).
        scratch->_header = default;
        scratch->_legacy.Fcw = (X87ControlWord)LegacyRegion.InitFcw;
        scratch->_legacy.Mxcsr = (Mxcsr)LegacyRegion.InitMxcsr;
        Instructions.XRstor64(scratch);
    }

    /// <summary>True when XSAVE/XRSTOR can use the area where it lies (64-byte aligned).</summary>
    internal static bool IsAligned(void* area) => ((nuint)area & (Alignment - 1)) == 0;

    // Every checked load, and an unchecked one that is misaligned or has control words to fill
    // in: copy what XRSTOR reads to aligned stack memory, then check and restore that copy. The
    // checks and the instruction see the same bytes, whatever another thread writes to the
    // caller's area meanwhile (the kernel copies a user's state before judging it for the same
    // reason), and the caller's bytes are never touched. Out of line so the direct path stays small.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LoadBounced(XSaveArea* area, bool validate, RestoreHazards allowed)
    {
        XSaveArea* scratch = AlignedScratch(stackalloc byte[Size + Alignment]);
        CopyWhatXRstorReads(area, scratch);
        scratch->_legacy.ApplyInitControlWords(); // before the checks: they judge what XRSTOR will load
        if (validate && !RestoreFastPath.Passes(scratch, in Processor.Snapshot))
        {
            RestoreValidation.ThrowIfInvalid(in *scratch, SafeFeatures, Processor.Profile, allowed);
        }

        Instructions.XRstor64(scratch);
    }

    /// <summary>
    /// Copies what XRSTOR and the checks before it read: the legacy region with its software
    /// bytes (the layout descriptor), the header, and the components whose XSTATE_BV bit is set
    /// (XRSTOR initialises the others without reading them). A compacted area's components are
    /// packed from byte 576 on, so there the whole page is copied.
    /// </summary>
    internal static void CopyWhatXRstorReads(XSaveArea* from, XSaveArea* to)
    {
        // A generated checked thunk can be a process's first call into the library.
        RuntimeTables.EnsureReady();
        // Decided on values held in registers, which then overwrite the copy's header fields: what
        // is copied is what was decided on, and nothing just stored is read back.
        XFeatures inUse = from->_header.XStateBv;
        ulong format = from->_header.XCompBv;
        CopyRun* runs = (format & XSaveHeader.CompactedFormat) != 0 ? RuntimeTables.CompactedRuns : RuntimeTables.SlotRuns;
        CopyRoutines.CopyRuns(from, to, runs, (ulong)inUse);
        to->_header.XStateBv = inUse;
        to->_header.XCompBv = format;
    }

    // The checked restore's scratch, and a misaligned save's where the CPU saves no further than
    // RestorePlan.ScratchEnd: a stack local rather than a stackalloc, so no stack probe (it is
    // under a page) and no stack cookie, both of which cost measurably next to XSAVE and XRSTOR.
    [InlineArray(RestorePlan.ScratchBytes)]
    private struct SubPageScratch
    {
        private byte _byte;

        public XSaveArea* Area
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => (XSaveArea*)(((nuint)Unsafe.AsPointer(ref _byte) + (Alignment - 1)) & ~(nuint)(Alignment - 1));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static XSaveArea* AlignedScratch(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            // The span is stack memory, so the pointer stays valid after the fixed block.
            return (XSaveArea*)(((nuint)start + (Alignment - 1)) & ~(nuint)(Alignment - 1));
        }
    }
}
