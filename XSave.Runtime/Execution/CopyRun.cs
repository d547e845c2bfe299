namespace XSave;

/// <summary>
/// One run of the runtime's private copies, in the shape the generated <c>CopyRuns</c> and
/// <c>CheckedRestore</c> routines walk after the bytes they copy by themselves (see
/// <see cref="ForSlots"/>): bytes [<see cref="Offset"/>, +<see cref="Length"/>) are copied from the first area to
/// the second (or zeroed there) when <see cref="Component"/>'s bit is set in the components
/// passed, or always. A table ends with a run of length 0. The tables for this CPU are built once
/// from its <see cref="CpuProfile"/> (<see cref="Processor.SlotRuns"/>, <see cref="Processor.CompactedRuns"/>):
/// a handful of runs, since each costs the walk a branch it may mispredict.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 8)]
internal readonly struct CopyRun(int offset, int length, int component, bool zero)
{
    /// <summary>The component number meaning "every time".</summary>
    public const byte Always = 0xFF;

    public readonly ushort Offset = (ushort)offset;
    public readonly ushort Length = (ushort)length;
    public readonly byte Component = (byte)component;
    public readonly byte Zero = zero ? (byte)1 : (byte)0;

    /// <summary>
    /// The saved slots the routines do not copy by themselves: each slot this CPU saves but AVX's
    /// (which they copy at its architectural place, 576–831, when the component's bit is set),
    /// under its component's bit, then zeros over each such slot's bytes past its registers
    /// (PKRU's 4 in 8; BNDCSR's 48 in 64, which qemu's XSAVE leaves unwritten). The same table
    /// serves a restore's copy (with XSTATE_BV) and a misaligned save's copy back (with every
    /// saved component), where the zeros keep a scratch byte XSAVE did not write out of the area.
    /// </summary>
    public static CopyRun[] ForSlots(CpuProfile cpu)
    {
        var runs = new List<CopyRun>();
        foreach (var (component, slot) in cpu.SavedSlots)
        {
            if (component != AvxBit || slot != new ComponentSlot(AreaOffsets.Components, AreaOffsets.AvxSize))
            {
                runs.Add(new(slot.Offset, slot.Size, component, zero: false));
            }
        }

        foreach (var (component, slot) in cpu.SavedSlots)
        {
            foreach (var (offset, length) in cpu.SavedSlotPadding)
            {
                if (offset >= slot.Offset && offset < slot.End)
                {
                    runs.Add(new(offset, length, component, zero: true));
                }
            }
        }

        return Ended(runs);
    }

    /// <summary>A compacted area: its components are packed from byte 576 on, so the rest of the page.</summary>
    public static CopyRun[] ForCompacted() => [new(AreaOffsets.Components, XSaveArea.Size - AreaOffsets.Components, Always, zero: false), default];

    private const int AvxBit = 2;

    private static CopyRun[] Ended(List<CopyRun> runs)
    {
        runs.Add(default);
        return [.. runs];
    }
}
