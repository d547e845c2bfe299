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
    public const int ControlLanes = 0, Registers = 32, Xmm = 160, Reserved = 416, Descriptor = 464, Header = 512, Components = 576;
    public const int AvxSize = 256;
}

/// <summary>
/// Offsets in a RestorePlan: 16-byte lanes of masks, then the PKRU lane's offset in the area and
/// the address of the restore's run table (CopyRun).
/// </summary>
internal static class RestorePlanOffsets
{
    public const int FcwMasks = 0, X87Rejects = 16, MxcsrMasks = 32, MxcsrRejects = 48;
    public const int DescriptorLanes = 64, HeaderRejects = 112, PkruRejects = 128;
    public const int PkruLane = 144, Runs = 152, Size = 160;
}
