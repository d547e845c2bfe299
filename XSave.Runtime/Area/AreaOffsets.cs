// Compiled into the generator too (as SafeFeatureSet is): the checked restore's machine code reads
// areas and its RestorePlan at these offsets, and the runtime lays both out by them.
#if XSAVE_GENERATOR
namespace XSave.Generators.Shared;
#else
namespace XSave;
#endif

/// <summary>
/// Offsets in an area (SDM vol. 1 §13.4): the legacy region's two control lanes (FCW…FIP; FDP,
/// MXCSR, MXCSR_MASK), the x87 and SSE register files, the reserved bytes after them, the software
/// bytes holding the layout descriptor, the header, and the first byte past it, where every CPU's
/// standard format puts AVX's 256 bytes.
/// </summary>
internal static class AreaOffsets
{
    public const int ControlLanes = 0, Registers = 32, Xmm = 160, Reserved = 416, Descriptor = 464;

    /// <summary>The header, and the first byte past it: the rules' offsets (RestoreChecks, which freestanding projects compile too).</summary>
    public const int Header = RestoreChecks.XStateBvOffset, Components = RestoreChecks.HeaderEnd;

    public const int AvxSize = 256;
}

/// <summary>
/// Offsets in a RestorePlan: what the checked restore compares the area's control lanes (bytes
/// 0–31) and its tail (464–575: the layout descriptor and the header) against — each byte must
/// equal Expected wherever Rejects has a bit set — then the same for PKRU's lane, the lane's
/// offset in the area, the address of the restore's run table (CopyRun), the components XSAVE
/// saves (XCR0 within the safe set), which a bounced save keeps of the XSTATE_BV it found, the
/// address of the bounced save's run table, PKRU's slot where the bounced save moves it itself
/// (CopyRunTables.PkruSlot), and the masks the bounced save copies the legacy region's first 160 bytes
/// through: ones over register bytes, zeros over the reserved ones XSAVE need not write.
/// </summary>
internal static class RestorePlanOffsets
{
    public const int ControlExpected = 0, ControlRejects = 32, TailExpected = 64, TailRejects = 176;
    public const int PkruRejects = 288, PkruLane = 304, Runs = 312, SavedFeatures = 320, BounceRuns = 328, PkruSlot = 336;
    public const int LegacyKeep = 352, StKeep = 384, Size = 448;

    /// <summary>The control lanes' length, and the tail's: from the descriptor to the end of the header.</summary>
    public const int ControlLength = 32, TailLength = AreaOffsets.Components - AreaOffsets.Descriptor;
}
