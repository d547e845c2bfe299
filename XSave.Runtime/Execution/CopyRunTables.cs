namespace XSave;

/// <summary>
/// The run tables (<see cref="CopyRun"/>) the runtime's copy routines walk for a CPU, built from its
/// <see cref="CpuProfile"/> once per process (<see cref="RuntimeTables"/> pins them).
/// </summary>
internal static class CopyRunTables
{
    /// <summary>
    /// The saved slots the copy routine does not copy by itself: each slot this CPU saves but
    /// AVX's (which it copies at its architectural place, 576–831, when the component's bit is
    /// set), under its component's bit. A restore's managed copy takes these (with XSTATE_BV).
    /// </summary>
    public static CopyRun[] ForSlots(CpuProfile cpu) => Ended(Slots(cpu, pkruMoved: false));

    /// <summary>
    /// What the checked restore walks: <see cref="ForSlots"/> less PKRU's slot where the routine
    /// moves it itself (<see cref="PkruSlot"/>: its 16-byte lane holds the 8-byte slot).
    /// </summary>
    public static CopyRun[] ForCheckedRestore(CpuProfile cpu) => Ended(Slots(cpu, pkruMoved: true));

    /// <summary>
    /// A misaligned save's copy back (with every saved component): the slots the checked restore
    /// walks, then zeros over each slot's bytes past its registers (BNDCSR's 48 in 64, which
    /// qemu's XSAVE leaves unwritten), so no scratch byte XSAVE did not write reaches the area. A
    /// restore needs no such zeros: XRSTOR does not read those bytes.
    /// </summary>
    public static CopyRun[] ForBounce(CpuProfile cpu)
    {
        List<CopyRun> runs = Slots(cpu, pkruMoved: true);
        int pkru = PkruSlot(cpu);
        foreach (var (component, slot) in cpu.SavedSlots)
        {
            foreach (var (offset, length) in cpu.SavedSlotPadding)
            {
                if (offset >= slot.Offset && offset < slot.End && slot.Offset != pkru)
                {
                    runs.Add(new CopyRun(offset, length, component, zero: true));
                }
            }
        }

        return Ended(runs);
    }

    /// <summary>
    /// Where PKRU's slot lies when the routines move it themselves, or 0: where the CPU saves PKRU
    /// in an 8-byte slot at a multiple of 8 (every CPU seen), one 4-byte load and one 8-byte store
    /// take its register and zero its padding — each run walked costs a branch the CPU mispredicts
    /// after XSAVE, about 5 ns on the machine in docs/benchmarks.md, more than the bytes.
    /// </summary>
    public static int PkruSlot(CpuProfile cpu)
    {
        foreach (var (component, slot) in cpu.SavedSlots)
        {
            if (component == PkruBit && slot.Size == 8 && slot.Offset % 8 == 0)
            {
                return slot.Offset;
            }
        }

        return 0;
    }

    private static List<CopyRun> Slots(CpuProfile cpu, bool pkruMoved)
    {
        var runs = new List<CopyRun>();
        int pkru = pkruMoved ? PkruSlot(cpu) : 0;
        foreach (var (component, slot) in cpu.SavedSlots)
        {
            bool avxInPlace = component == AvxBit && slot == new ComponentSlot(AreaOffsets.Components, AreaOffsets.AvxSize);
            if (!avxInPlace && !(pkru != 0 && slot.Offset == pkru))
            {
                runs.Add(new CopyRun(slot.Offset, slot.Size, component, zero: false));
            }
        }

        return runs;
    }

    /// <summary>A compacted area: its components are packed from byte 576 on, so the rest of the page.</summary>
    public static CopyRun[] ForCompacted() => [new CopyRun(AreaOffsets.Components, XSaveArea.Size - AreaOffsets.Components, CopyRun.Always, zero: false), default];

    private const int AvxBit = 2, PkruBit = 9;

    private static CopyRun[] Ended(List<CopyRun> runs)
    {
        runs.Add(default);
        return [.. runs];
    }
}
