using System.Runtime.Intrinsics;

namespace XSave;

/// <summary>
/// What the checked restore's machine code (<see cref="Instructions.CheckedRestore"/>) checks an
/// area against (and what the bounced save's, <see cref="Instructions.SaveBounced"/>, writes), laid out at <see cref="RestorePlanOffsets"/> in native memory that never moves:
/// the running CPU's <see cref="CpuSnapshot"/> masks as byte strings the code compares chunk by
/// chunk, whatever its vector width, and the restore's run table.
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

    /// <summary>The plan for <paramref name="cpu"/>, in 64-byte-aligned native memory kept for the life of the process.</summary>
    public static RestorePlan* Pin(in CpuSnapshot cpu, int savedEnd, int pkruSlot, CopyRun* runs, CopyRun* bounceRuns)
    {
        var plan = (RestorePlan*)NativeMemory.AlignedAlloc(RestorePlanOffsets.Size, XSaveArea.Alignment);
        var bytes = new Span<byte>(plan, RestorePlanOffsets.Size);
        bytes.Clear();
        // Control lanes: FCW's masks set and an empty abridged FTW; MXCSR's masks set and no bit outside MXCSR_MASK.
        Write(bytes, RestorePlanOffsets.ControlExpected, cpu.FcwMasks);
        Write(bytes, RestorePlanOffsets.ControlExpected + 16, cpu.MxcsrMasks.AsUInt64());
        Write(bytes, RestorePlanOffsets.ControlRejects, cpu.X87Rejects);
        Write(bytes, RestorePlanOffsets.ControlRejects + 16, cpu.MxcsrRejects.AsUInt64());
        // Tail: this CPU's descriptor; XSTATE_BV within XCR0, no XCOMP_BV, the reserved bytes zero.
        MemoryMarshal.AsBytes((ReadOnlySpan<ulong>)cpu.Descriptor).CopyTo(bytes[RestorePlanOffsets.TailExpected..]);
        bytes.Slice(RestorePlanOffsets.TailRejects, RestorePlanOffsets.TailLength).Fill(0xFF);
        Write(bytes, RestorePlanOffsets.TailRejects + (AreaOffsets.Header - AreaOffsets.Descriptor),
            savedEnd <= ScratchEnd ? cpu.RestoreHeaderRejects : Vector128<ulong>.AllBitsSet);
        plan->PkruRejects = cpu.PkruRejects;
        // Where PKRU is off its lane checks nothing: the machine code then copies the first
        // register lane again, which no check reads (never a lane it checked, which a second
        // read from the caller's area could change).
        plan->PkruLane = cpu.PkruRejects == Vector128<ulong>.Zero ? AreaOffsets.Registers : cpu.PkruLane;
        plan->Runs = runs;
        plan->SavedFeatures = cpu.Xcr0 & (ulong)XSaveArea.SafeFeatures;
        plan->BounceRuns = bounceRuns;
        plan->PkruSlot = pkruSlot;
        // The legacy region's reserved bytes in its first 160: byte 5, and the 6 above each 80-bit ST register.
        bytes.Slice(RestorePlanOffsets.LegacyKeep, 32).Fill(0xFF);
        bytes[RestorePlanOffsets.LegacyKeep + LegacyRegion.AbridgedFtwOffset + 1] = 0;
        for (int slot = 0; slot < 2; slot++)
        {
            bytes.Slice(RestorePlanOffsets.StKeep + (slot * LegacyRegion.StSlot), LegacyRegion.StBytes).Fill(0xFF);
        }

        return plan;
    }

    private static void Write(Span<byte> plan, int offset, Vector128<ulong> lane) => lane.AsByte().CopyTo(plan[offset..]);
}
