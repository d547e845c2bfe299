using System.Runtime.Intrinsics;

namespace XSave;

/// <summary>
/// The common case of restore validation in a handful of loads and compares, for the managed
/// path (areas the checked restore's machine code declined, or met before the processor was
/// read): a standard-format area saved on this CPU, exception masks set, an empty x87 stack, key 0 open.
/// Anything else — compacted, no or another descriptor, a rule broken — falls to
/// <see cref="RestoreValidation"/>, which decides and explains. It is stricter than the rules
/// (FCW, FTW and PKRU are checked even where XSTATE_BV would initialise them): what it passes,
/// they pass. The machine code checks the same lanes against the <see cref="RestorePlan"/>.
/// Callers have checked that the area is 64-byte aligned.
/// </summary>
internal static unsafe class RestoreFastPath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Passes(XSaveArea* area, in CpuSnapshot cpu)
    {
        const int Descriptor = AreaOffsets.Descriptor, Header = AreaOffsets.Header;
        Vector128<ulong> legacy = ((Read(area, AreaOffsets.ControlLanes) ^ cpu.FcwMasks) & cpu.X87Rejects) |
                                  ((Read(area, AreaOffsets.ControlLanes + 16) ^ cpu.MxcsrMasks.AsUInt64()) & cpu.MxcsrRejects.AsUInt64());
        Vector128<ulong> pkru = Vector128.LoadUnsafe(ref *((byte*)area + cpu.PkruLane)).AsUInt64() & cpu.PkruRejects;
        // The descriptor as this CPU's, no header bit the rules reject, the reserved header bytes zero.
        Vector128<ulong> layout = ((Read(area, Descriptor) ^ Vector128.LoadUnsafe(in cpu.Descriptor[0])) |
                                   (Read(area, Descriptor + 16) ^ Vector128.LoadUnsafe(in cpu.Descriptor[0], 2))) |
                                  ((Read(area, Descriptor + 32) ^ Vector128.LoadUnsafe(in cpu.Descriptor[0], 4)) |
                                   (Read(area, Header) & cpu.RestoreHeaderRejects));
        Vector128<ulong> reserved = (Read(area, Header + 16) | Read(area, Header + 32)) | Read(area, Header + 48);
        return (layout | reserved | legacy | pkru) == Vector128<ulong>.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Read(XSaveArea* area, int offset) => Vector128.LoadAligned((ulong*)((byte*)area + offset));
}
