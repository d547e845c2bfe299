using System.Runtime.Intrinsics;

namespace XSave;

/// <summary>
/// What the checked restore's machine code (<see cref="Instructions.CheckedRestoreSse"/>) checks an
/// area against (and what the bounced save's, <see cref="Instructions.SaveBouncedSse"/>, writes),
/// laid out at <see cref="RestorePlanOffsets"/> in native memory that never moves: the running
/// CPU's masks as byte strings the code compares chunk by chunk, whatever its vector width, and the
/// restore's run table. Built once per process (<c>RuntimeTables</c>).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = RestorePlanOffsets.Size)]
internal unsafe struct RestorePlan
{
    [FieldOffset(RestorePlanOffsets.PkruRejects)] public Vector128<ulong> PkruRejects;
    [FieldOffset(RestorePlanOffsets.PkruLane)] public long PkruLane;
    [FieldOffset(RestorePlanOffsets.Runs)] public CopyRun* Runs;
    [FieldOffset(RestorePlanOffsets.SavedFeatures)] public ulong SavedFeatures;
    [FieldOffset(RestorePlanOffsets.BounceRuns)] public CopyRun* BounceRuns;
    [FieldOffset(RestorePlanOffsets.PkruSlot)] public long PkruSlot;

    /// <summary>
    /// Where the checked restore's scratch ends: past the furthest slot of a safe component in
    /// any standard layout seen (AMX TILECFG, 2752–2815). A CPU saving past it gets a plan that
    /// declines every area, so the machine code never writes beyond the scratch.
    /// </summary>
    public const int ScratchEnd = 2816;

    /// <summary>The stack the checked restore's scratch takes: less than a page, so the frame needs no stack probe.</summary>
    public const int ScratchBytes = ScratchEnd + XSaveArea.Alignment;
}
