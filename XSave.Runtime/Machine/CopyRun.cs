namespace XSave;

/// <summary>
/// One run of the runtime's private copies, in the shape the generated <c>CopyRuns</c> and
/// <c>CheckedRestore</c> routines walk after the bytes they copy by themselves (see
/// <c>CopyRunTables.ForSlots</c>): bytes [<see cref="Offset"/>, +<see cref="Length"/>) are copied from the first area to
/// the second (or zeroed there) when <see cref="Component"/>'s bit is set in the components
/// passed, or always. A table ends with a run of length 0. The tables for this CPU are built once
/// from its profile (<c>CopyRunTables</c>, kept by <c>RuntimeTables</c>): a handful of runs, since
/// each costs the walk a branch it may mispredict.
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
}
