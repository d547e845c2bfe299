using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace XSave;

/// <summary>
/// The common case of restore validation in a handful of loads and compares: a standard-format
/// area saved on this CPU, exception masks set, key 0 open. Anything else — compacted, no or
/// another descriptor, a rule broken — falls to <see cref="RestoreValidation"/>, which decides
/// and explains. It is stricter than the rules (FCW and PKRU are checked even where XSTATE_BV
/// would initialise them): what it passes, they pass. Save asks the same
/// question of the header and descriptor before deciding whether to rewrite them. Callers have
/// checked that the area is 64-byte aligned: aligned loads let SSE code read the area straight
/// into the compare instructions.
/// </summary>
internal static unsafe class RestoreFastPath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Passes(XSaveArea* area, in Processor.Snapshot cpu)
    {
        // Pairs ORed as a tree, not a chain: XRSTOR waits on the whole check, so its depth counts.
        Vector128<ulong> legacy = Vector128.AndNot(cpu.FcwMasks, Read(area, 0)) |
                                  ((Read(area, 16) ^ cpu.MxcsrMasks.AsUInt64()) & cpu.MxcsrRejects.AsUInt64());
        Vector128<ulong> pkru = Vector128.LoadUnsafe(ref *((byte*)area + cpu.PkruLane)).AsUInt64() & cpu.PkruRejects;
        return (Differences(area, in cpu, cpu.RestoreHeaderRejects) | (legacy | pkru)) == Vector128<ulong>.Zero;
    }

    /// <summary>True when bytes 464–575 already hold what Save would write there before XSAVE.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HeaderAndLayoutAsSaved(XSaveArea* area, in Processor.Snapshot cpu) =>
        Differences(area, in cpu, cpu.SaveHeaderRejects) == Vector128<ulong>.Zero;

    // Non-zero where the descriptor differs from this CPU's, header bytes 0–15 set a bit in
    // `headerRejects`, or header bytes 16–63 are not zero. 16-byte lanes rather than words: half
    // the instructions, and next to XSAVE/XRSTOR every one counts.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Differences(XSaveArea* area, in Processor.Snapshot cpu, Vector128<ulong> headerRejects)
    {
        ref readonly ulong descriptor = ref cpu.Descriptor[0];
        Vector128<ulong> layout = ((Read(area, 464) ^ Vector128.LoadUnsafe(in descriptor)) |
                                   (Read(area, 480) ^ Vector128.LoadUnsafe(in descriptor, 2))) |
                                  ((Read(area, 496) ^ Vector128.LoadUnsafe(in descriptor, 4)) |
                                   (Read(area, 512) & headerRejects));
        return layout | ((Read(area, 528) | Read(area, 544)) | Read(area, 560));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Read(XSaveArea* area, int offset) => Vector128.LoadAligned((ulong*)((byte*)area + offset));
}
