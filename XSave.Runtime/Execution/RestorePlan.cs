using System.Runtime.Intrinsics;

namespace XSave;

/// <summary>
/// What the checked restore's machine code (<see cref="Instructions.CheckedRestore"/>) checks an
/// area against: the running CPU's <see cref="CpuSnapshot"/> masks, laid out at
/// <see cref="RestorePlanOffsets"/> in native memory that never moves, with the restore's run table.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = RestorePlanOffsets.Size)]
internal unsafe struct RestorePlan
{
    [FieldOffset(RestorePlanOffsets.FcwMasks)] public Vector128<ulong> FcwMasks;
    [FieldOffset(RestorePlanOffsets.X87Rejects)] public Vector128<ulong> X87Rejects;
    [FieldOffset(RestorePlanOffsets.MxcsrMasks)] public Vector128<uint> MxcsrMasks;
    [FieldOffset(RestorePlanOffsets.MxcsrRejects)] public Vector128<uint> MxcsrRejects;
    [FieldOffset(RestorePlanOffsets.DescriptorLanes)] public DescriptorWords Descriptor;
    [FieldOffset(RestorePlanOffsets.HeaderRejects)] public Vector128<ulong> HeaderRejects;
    [FieldOffset(RestorePlanOffsets.PkruRejects)] public Vector128<ulong> PkruRejects;
    [FieldOffset(RestorePlanOffsets.PkruLane)] public long PkruLane;
    [FieldOffset(RestorePlanOffsets.Runs)] public CopyRun* Runs;

    /// <summary>
    /// Where the checked restore's scratch ends: past the furthest slot of a safe component in
    /// any standard layout seen (AMX TILECFG, 2752–2815). A CPU saving past it gets a plan that
    /// declines every area, so the machine code never writes beyond the scratch.
    /// </summary>
    public const int ScratchEnd = 2816;

    /// <summary>The stack the checked restore's scratch takes: less than a page, so the frame needs no stack probe.</summary>
    public const int ScratchBytes = ScratchEnd + XSaveArea.Alignment;

    /// <summary>The plan for <paramref name="cpu"/>, in 64-byte-aligned native memory kept for the life of the process.</summary>
    public static RestorePlan* Pin(in CpuSnapshot cpu, int savedEnd, CopyRun* runs)
    {
        var plan = (RestorePlan*)NativeMemory.AlignedAlloc(RestorePlanOffsets.Size, XSaveArea.Alignment);
        *plan = new RestorePlan
        {
            FcwMasks = cpu.FcwMasks,
            X87Rejects = cpu.X87Rejects,
            MxcsrMasks = cpu.MxcsrMasks,
            MxcsrRejects = cpu.MxcsrRejects,
            Descriptor = cpu.Descriptor,
            HeaderRejects = savedEnd <= ScratchEnd ? cpu.RestoreHeaderRejects : Vector128<ulong>.AllBitsSet,
            PkruRejects = cpu.PkruRejects,
            // Where PKRU is off its lane checks nothing: the machine code then copies the first
            // register lane again, which no check reads (never a lane it checked, which a second
            // read from the caller's area could change).
            PkruLane = cpu.PkruRejects == Vector128<ulong>.Zero ? AreaOffsets.Registers : cpu.PkruLane,
            Runs = runs,
        };
        return plan;
    }
}
