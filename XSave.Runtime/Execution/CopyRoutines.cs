namespace XSave;

/// <summary>
/// The runtime's routines that come in an SSE and an AVX form (<see cref="Instructions"/>), each
/// called in the form the tables chose for this CPU (<see cref="RuntimeTables.CopiesWithAvx"/>).
/// </summary>
internal static unsafe class CopyRoutines
{
    /// <summary>
    /// Copies what XRSTOR reads of <paramref name="area"/> into <paramref name="scratch"/>, checks
    /// the copy against this CPU's <see cref="RestorePlan"/> and restores it: null when it did,
    /// else <paramref name="area"/>, when the checks declined and nothing was loaded (the area may
    /// break a rule, be compacted, or carry a hazard the caller allows: the managed validator
    /// decides), or when the tables are not built yet (no plan: the caller's slow path builds them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static XSaveArea* CheckedRestore(XSaveArea* area, XSaveArea* scratch)
    {
        RestorePlan* plan = RuntimeTables.RestorePlan;
        return plan == null ? area
            : (XSaveArea*)(RuntimeTables.CopiesWithAvx ? Instructions.CheckedRestoreAvx(area, scratch, plan) : Instructions.CheckedRestoreSse(area, scratch, plan));
    }

    /// <summary>
    /// XSAVE64 of this thread's state into <paramref name="scratch"/>, then what an aligned save
    /// writes copied into <paramref name="area"/> (which may lie anywhere), with zeros where XSAVE
    /// need not have written: <see cref="XSaveArea.Save"/> of a misaligned area. The tables are built (<see cref="RuntimeTables"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SaveBounced(XSaveArea* area, XSaveArea* scratch)
    {
        if (RuntimeTables.CopiesWithAvx)
        {
            Instructions.SaveBouncedAvx(area, scratch, RuntimeTables.RestorePlan);
        }
        else
        {
            Instructions.SaveBouncedSse(area, scratch, RuntimeTables.RestorePlan);
        }
    }

    /// <summary>
    /// Walks <paramref name="runs"/> (<see cref="CopyRun"/>) from <paramref name="from"/> to
    /// <paramref name="to"/>: 32 bytes a move where AVX is enabled, else 16. Machine code, not
    /// managed vectors or the C library's memmove, which may use AVX-512 registers (ZMM16–31) and
    /// leave their component in use after a save.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyRuns(void* from, void* to, CopyRun* runs, ulong components)
    {
        if (RuntimeTables.CopiesWithAvx)
        {
            Instructions.CopyRunsAvx((byte*)from, (byte*)to, runs, components);
        }
        else
        {
            Instructions.CopyRunsSse((byte*)from, (byte*)to, runs, components);
        }
    }
}
