using System.Runtime.Intrinsics;

namespace XSave;

/// <summary>
/// The tables the runtime's machine code walks — the private copies' run tables
/// (<see cref="CopyRun"/>) and the checked restore's <see cref="XSave.RestorePlan"/> — built once
/// per process from the processor's profile, and pinned for the life of the process.
/// </summary>
internal static unsafe class RuntimeTables
{
    private static CopyRun[]? s_runTables;
    private static CopyRun* s_slotRuns, s_compactedRuns;
    private static nint s_restorePlan; // a RestorePlan*, written once with a barrier
    private static int s_tablesClaimed; // 1 once a thread builds the tables
    private static bool s_copiesWithAvx, s_savesWithinScratch;

    // No static initialisers in this class: under NativeAOT a class constructor would put a
    // "has it run?" check in front of every field read on the Save/Load path.

    /// <summary>The saved slots the copy routines walk: <see cref="CopyRunTables.ForSlots"/>. Callers have made the tables ready.</summary>
    public static CopyRun* SlotRuns => s_slotRuns;

    /// <summary>What a restore copies of a compacted area: <see cref="CopyRunTables.ForCompacted"/>.</summary>
    public static CopyRun* CompactedRuns => s_compactedRuns;

    /// <summary>What the checked restore's machine code checks against; null until the tables are built (the plan stands for "ready" on that path).</summary>
    public static RestorePlan* RestorePlan => (RestorePlan*)s_restorePlan;

    /// <summary>True where the copies move 32 bytes at a time (AVX enabled in XCR0).</summary>
    public static bool CopiesWithAvx => s_copiesWithAvx;

    /// <summary>True where a save ends within <see cref="XSave.RestorePlan.ScratchEnd"/>, so a misaligned save bounces through the sub-page scratch.</summary>
    public static bool SavesWithinScratch => s_savesWithinScratch;

    /// <summary>
    /// Reads the processor on the first call (throwing where XSAVE cannot run) and builds the
    /// tables; after that, one load and compare.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EnsureReady()
    {
        if (System.Threading.Volatile.Read(ref s_restorePlan) == 0)
        {
            Build();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Build()
    {
        Processor.EnsureReady();
        PinRunTables(Processor.Profile);
    }

    // One pinned array holds the tables, each ended by its zero-length run. Built by one thread
    // only (a second build by a racing first call would let the first one's array be collected
    // while a thread still held the plan pointing into it); the others wait for its plan, which
    // is published last.
    private static void PinRunTables(CpuProfile profile)
    {
        if (System.Threading.Interlocked.Exchange(ref s_tablesClaimed, 1) == 0)
        {
            BuildRunTables(profile);
            return;
        }

        var spin = default(System.Threading.SpinWait);
        while (System.Threading.Volatile.Read(ref s_restorePlan) == 0)
        {
            spin.SpinOnce();
        }
    }

    private static void BuildRunTables(CpuProfile profile)
    {
        CopyRun[][] tables = [CopyRunTables.ForSlots(profile), CopyRunTables.ForCompacted(), CopyRunTables.ForBounce(profile), CopyRunTables.ForCheckedRestore(profile)];
        int length = 0;
        foreach (CopyRun[] table in tables)
        {
            length += table.Length;
        }

        CopyRun[] pinned = GC.AllocateUninitializedArray<CopyRun>(length, pinned: true);
        var starts = new CopyRun*[tables.Length];
        var first = (CopyRun*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        for (int i = 0, at = 0; i < tables.Length; at += tables[i].Length, i++)
        {
            tables[i].CopyTo(pinned, at);
            starts[i] = first + at;
        }

        s_runTables = pinned;
        s_slotRuns = starts[0];
        s_compactedRuns = starts[1];
        s_copiesWithAvx = (profile.Xcr0 & XFeatures.Avx) != 0;
        s_savesWithinScratch = profile.SavedEnd <= XSave.RestorePlan.ScratchEnd;
        // Published last: a thread that sees the plan sees the tables and the flag above it (x86 keeps stores in order).
        System.Threading.Volatile.Write(ref s_restorePlan, (nint)PinPlan(in Processor.Snapshot, s_savesWithinScratch, CopyRunTables.PkruSlot(profile), starts[3], starts[2]));
    }

    /// <summary>The plan for <paramref name="cpu"/>, in 64-byte-aligned native memory kept for the life of the process.</summary>
    private static XSave.RestorePlan* PinPlan(in CpuSnapshot cpu, bool savesWithinScratch, int pkruSlot, CopyRun* runs, CopyRun* bounceRuns)
    {
        var plan = (XSave.RestorePlan*)NativeMemory.AlignedAlloc(RestorePlanOffsets.Size, XSaveArea.Alignment);
        var bytes = new Span<byte>(plan, RestorePlanOffsets.Size);
        bytes.Clear();
        // Control lanes: FCW's masks set and an empty abridged FTW; MXCSR's masks set and no bit outside MXCSR_MASK.
        Write(bytes, RestorePlanOffsets.ControlExpected, cpu.FcwMasks);
        Write(bytes, RestorePlanOffsets.ControlExpected + 16, cpu.MxcsrMasks.AsUInt64());
        Write(bytes, RestorePlanOffsets.ControlRejects, cpu.X87Rejects);
        Write(bytes, RestorePlanOffsets.ControlRejects + 16, cpu.MxcsrRejects.AsUInt64());
        // Tail: this CPU's descriptor; XSTATE_BV within XCR0, no XCOMP_BV, the reserved bytes zero.
        MemoryMarshal.AsBytes((ReadOnlySpan<ulong>)cpu.Descriptor).CopyTo(bytes[RestorePlanOffsets.TailExpected..]);
        bytes.Slice(RestorePlanOffsets.TailRejects, RestorePlanOffsets.TailLength).Fill(0xFF);
        Write(bytes, RestorePlanOffsets.TailRejects + (AreaOffsets.Header - AreaOffsets.Descriptor),
            savesWithinScratch ? cpu.RestoreHeaderRejects : Vector128<ulong>.AllBitsSet); // else every area is declined: the copy would pass the scratch
        plan->PkruRejects = cpu.PkruRejects;
        // Where PKRU is off its lane checks nothing: the machine code then copies the first
        // register lane again, which no check reads (never a lane it checked, which a second
        // read from the caller's area could change).
        plan->PkruLane = cpu.PkruRejects == Vector128<ulong>.Zero ? AreaOffsets.Registers : cpu.PkruLane;
        plan->Runs = runs;
        plan->SavedFeatures = cpu.Xcr0 & (ulong)XSaveArea.SafeFeatures;
        plan->BounceRuns = bounceRuns;
        plan->PkruSlot = pkruSlot;
        // The legacy region's reserved bytes in its first 160: byte 5, and the 6 above each 80-bit ST register.
        bytes.Slice(RestorePlanOffsets.LegacyKeep, 32).Fill(0xFF);
        bytes[RestorePlanOffsets.LegacyKeep + LegacyRegion.AbridgedFtwOffset + 1] = 0;
        for (int slot = 0; slot < 2; slot++)
        {
            bytes.Slice(RestorePlanOffsets.StKeep + (slot * LegacyRegion.StSlot), LegacyRegion.StBytes).Fill(0xFF);
        }

        return plan;
    }

    private static void Write(Span<byte> plan, int offset, Vector128<ulong> lane) => lane.AsByte().CopyTo(plan[offset..]);
}
