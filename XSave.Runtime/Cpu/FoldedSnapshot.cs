using System.Runtime.Intrinsics;

namespace XSave;

/// <summary>
/// What <see cref="RestoreFastPath"/> reads from the running CPU's <see cref="Processor.Snapshot"/>, as
/// static readonly fields. Once a class's constructor has run, the JIT's optimised code reads its
/// static readonly fields as constants: the masks become operands in the code, and the PKRU
/// lane's load disappears where PKRU is off (its mask is zero). That takes a chain of dependent
/// loads (the snapshot's address, spilled across the XSAVE call, then each mask) off the path
/// XRSTOR waits on (docs/benchmarks.md). Nothing but those fields here: under precise
/// initialisation, calling any static method of this class would run the constructor too.
/// </summary>
internal static class FoldedSnapshot
{
    public static readonly Vector128<ulong> Descriptor0, Descriptor1, Descriptor2, RestoreHeaderRejects, SaveHeaderRejects;
    public static readonly Vector128<ulong> FcwMasks, X87Rejects, MxcsrMasks, MxcsrRejects, PkruRejects;
    public static readonly int PkruLane;

    // A precise constructor (not beforefieldinit), so it runs at the first read of a field: only
    // on the live snapshot's path, after Processor.EnsureReady, when the snapshot is final.
    static FoldedSnapshot()
    {
        ref readonly CpuSnapshot cpu = ref Processor.Snapshot;
        ref readonly ulong descriptor = ref cpu.Descriptor[0];
        Descriptor0 = Vector128.LoadUnsafe(in descriptor);
        Descriptor1 = Vector128.LoadUnsafe(in descriptor, 2);
        Descriptor2 = Vector128.LoadUnsafe(in descriptor, 4);
        RestoreHeaderRejects = cpu.RestoreHeaderRejects;
        SaveHeaderRejects = cpu.SaveHeaderRejects;
        FcwMasks = cpu.FcwMasks;
        X87Rejects = cpu.X87Rejects;
        MxcsrMasks = cpu.MxcsrMasks.AsUInt64();
        MxcsrRejects = cpu.MxcsrRejects.AsUInt64();
        PkruLane = cpu.PkruLane;
        PkruRejects = cpu.PkruRejects;
    }
}
