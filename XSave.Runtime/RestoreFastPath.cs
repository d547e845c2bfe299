using System.Runtime.CompilerServices;

namespace XSave;

/// <summary>
/// The common case of restore validation in a handful of loads and compares: a standard-format
/// area saved on this CPU. Anything else — compacted, no or another descriptor, a rule broken —
/// falls to <see cref="RestoreValidation"/>, which decides and explains.
/// </summary>
internal static unsafe class RestoreFastPath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Passes(XSaveArea* area)
    {
        byte* b = (byte*)area;
        ref readonly Processor.Snapshot cpu = ref Processor.Current;
        ulong reserved = Read(b, 528) | Read(b, 536) | Read(b, 544) | Read(b, 552) | Read(b, 560) | Read(b, 568);
        ulong descriptor = (Read(b, 464) ^ cpu.Descriptor[0]) | (Read(b, 472) ^ cpu.Descriptor[1]) | (Read(b, 480) ^ cpu.Descriptor[2]) |
                           (Read(b, 488) ^ cpu.Descriptor[3]) | (Read(b, 496) ^ cpu.Descriptor[4]) | (Read(b, 504) ^ cpu.Descriptor[5]);
        return ((Read(b, 512) & ~cpu.Xcr0) | Read(b, 520) | reserved | descriptor | (*(uint*)(b + 24) & ~cpu.MxcsrMask)) == 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Read(byte* bytes, int offset) => Unsafe.ReadUnaligned<ulong>(bytes + offset);
}
