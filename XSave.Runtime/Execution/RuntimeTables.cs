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

    /// <summary>The saved slots the copy routines walk: <see cref="CopyRun.ForSlots"/>. Callers have made the tables ready.</summary>
    public static CopyRun* SlotRuns => s_slotRuns;

    /// <summary>What a restore copies of a compacted area: <see cref="CopyRun.ForCompacted"/>.</summary>
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
        CopyRun[][] tables = [CopyRun.ForSlots(profile), CopyRun.ForCompacted(), CopyRun.ForBounce(profile), CopyRun.ForCheckedRestore(profile)];
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
        System.Threading.Volatile.Write(ref s_restorePlan, (nint)XSave.RestorePlan.Pin(in Processor.Snapshot, profile.SavedEnd, CopyRun.PkruSlot(profile), starts[3], starts[2]));
    }
}
