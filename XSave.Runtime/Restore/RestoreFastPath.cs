using System.Runtime.Intrinsics;

namespace XSave;

/// <summary>
/// The common case of restore validation in a handful of loads and compares: a standard-format
/// area saved on this CPU, exception masks set, an empty x87 stack, key 0 open. Anything else —
/// compacted, no or another descriptor, a rule broken — falls to <see cref="RestoreValidation"/>,
/// which decides and explains. It is stricter than the rules (FCW, FTW and PKRU are checked even
/// where XSTATE_BV would initialise them): what it passes, they pass. Save asks the same
/// question of the header and descriptor before deciding whether to rewrite them. Callers have
/// checked that the area is 64-byte aligned: aligned loads let SSE code read the area straight
/// into the compare instructions.
/// </summary>
internal static unsafe class RestoreFastPath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Passes(XSaveArea* area, in CpuSnapshot cpu)
    {
        // Pairs ORed as a tree, not a chain: XRSTOR waits on the whole check, so its depth counts.
        Vector128<ulong> legacy = ((Read(area, AreaOffsets.ControlLanes) ^ FcwMasks(in cpu)) & X87Rejects(in cpu)) |
                                  ((Read(area, AreaOffsets.ControlLanes + 16) ^ MxcsrMasks(in cpu)) & MxcsrRejects(in cpu));
        Vector128<ulong> pkru = Vector128.LoadUnsafe(ref *((byte*)area + PkruLane(in cpu))).AsUInt64() & PkruRejects(in cpu);
        return (Differences(area, in cpu, RestoreHeaderRejects(in cpu)) | (legacy | pkru)) == Vector128<ulong>.Zero;
    }

    /// <summary>True when bytes 464–575 already hold what Save would write there before XSAVE.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HeaderAndLayoutAsSaved(XSaveArea* area, in CpuSnapshot cpu) =>
        Differences(area, in cpu, SaveHeaderRejects(in cpu)) == Vector128<ulong>.Zero;

    // Non-zero where the descriptor differs from this CPU's, header bytes 0–15 set a bit in
    // `headerRejects`, or header bytes 16–63 are not zero. 16-byte lanes rather than words: half
    // the instructions, and next to XSAVE/XRSTOR every one counts.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Differences(XSaveArea* area, in CpuSnapshot cpu, Vector128<ulong> headerRejects)
    {
        const int Descriptor = AreaOffsets.Descriptor, Header = AreaOffsets.Header;
        Vector128<ulong> layout = ((Read(area, Descriptor) ^ Descriptor0(in cpu)) |
                                   (Read(area, Descriptor + 16) ^ Descriptor1(in cpu))) |
                                  ((Read(area, Descriptor + 32) ^ Descriptor2(in cpu)) |
                                   (Read(area, Header) & headerRejects));
        return layout | ((Read(area, Header + 16) | Read(area, Header + 32)) | Read(area, Header + 48));
    }

    // Under the JIT, the live snapshot is read from FoldedSnapshot's constants; NativeAOT cannot
    // fold values read from the CPU at run time (and would check its constructor at every use),
    // so it reads the snapshot, with the code it had before. A modelled snapshot (the tests') is
    // read as it is. Folds is a constant once inlined: both sides are one static field's address.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Folds(in CpuSnapshot cpu) =>
        RuntimeFeature.IsDynamicCodeCompiled && Unsafe.AreSame(in cpu, in Processor.SnapshotStorage);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Descriptor0(in CpuSnapshot cpu) => Folds(in cpu) ? FoldedSnapshot.Descriptor0 : Vector128.LoadUnsafe(in cpu.Descriptor[0]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Descriptor1(in CpuSnapshot cpu) => Folds(in cpu) ? FoldedSnapshot.Descriptor1 : Vector128.LoadUnsafe(in cpu.Descriptor[0], 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Descriptor2(in CpuSnapshot cpu) => Folds(in cpu) ? FoldedSnapshot.Descriptor2 : Vector128.LoadUnsafe(in cpu.Descriptor[0], 4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> RestoreHeaderRejects(in CpuSnapshot cpu) => Folds(in cpu) ? FoldedSnapshot.RestoreHeaderRejects : cpu.RestoreHeaderRejects;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> SaveHeaderRejects(in CpuSnapshot cpu) => Folds(in cpu) ? FoldedSnapshot.SaveHeaderRejects : cpu.SaveHeaderRejects;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> FcwMasks(in CpuSnapshot cpu) => Folds(in cpu) ? FoldedSnapshot.FcwMasks : cpu.FcwMasks;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> X87Rejects(in CpuSnapshot cpu) => Folds(in cpu) ? FoldedSnapshot.X87Rejects : cpu.X87Rejects;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> MxcsrMasks(in CpuSnapshot cpu) => Folds(in cpu) ? FoldedSnapshot.MxcsrMasks : cpu.MxcsrMasks.AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> MxcsrRejects(in CpuSnapshot cpu) => Folds(in cpu) ? FoldedSnapshot.MxcsrRejects : cpu.MxcsrRejects.AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PkruLane(in CpuSnapshot cpu) => Folds(in cpu) ? FoldedSnapshot.PkruLane : cpu.PkruLane;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> PkruRejects(in CpuSnapshot cpu) => Folds(in cpu) ? FoldedSnapshot.PkruRejects : cpu.PkruRejects;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Read(XSaveArea* area, int offset) => Vector128.LoadAligned((ulong*)((byte*)area + offset));
}
