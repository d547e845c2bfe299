using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace XSave;

/// <summary>
/// The common case of restore validation in a handful of loads and compares: a standard-format
/// area saved on this CPU. Anything else — compacted, no or another descriptor, a rule broken —
/// falls to <see cref="RestoreValidation"/>, which decides and explains.
/// </summary>
internal static unsafe class RestoreFastPath
{
    // 16-byte lanes rather than words: half the instructions, and next to XRSTOR every one counts.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Passes(XSaveArea* area, in Processor.Snapshot cpu)
    {
        byte* b = (byte*)area;
        ref readonly ulong descriptor = ref cpu.Descriptor[0];
        Vector128<ulong> failed =
            (Read(b, 464) ^ Vector128.LoadUnsafe(in descriptor)) |
            (Read(b, 480) ^ Vector128.LoadUnsafe(in descriptor, 2)) |
            (Read(b, 496) ^ Vector128.LoadUnsafe(in descriptor, 4)) |
            (Read(b, 512) & cpu.HeaderRejects) |
            Read(b, 528) | Read(b, 544) | Read(b, 560) |
            (Read(b, 16) & cpu.MxcsrRejects.AsUInt64());
        return failed == Vector128<ulong>.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Read(byte* bytes, int offset) => Vector128.Load((ulong*)(bytes + offset));
}
