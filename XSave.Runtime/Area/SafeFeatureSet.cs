// The components this library ever asks XSAVE/XRSTOR for (documented on XSaveArea.SafeFeatures).
// Compiled into the generator too, which assembles it into every thunk's mask: one definition.
#if XSAVE_GENERATOR
namespace XSave.Generators.Shared;
#else
namespace XSave;
#endif

internal static class SafeFeatureSet
{
    public const XFeatures Value =
        XFeatures.X87 | XFeatures.Sse | XFeatures.Avx | XFeatures.MpxBndRegs | XFeatures.MpxBndCsr |
        XFeatures.Avx512Opmask | XFeatures.Avx512ZmmHi256 | XFeatures.Avx512Hi16Zmm | XFeatures.Pkru |
        XFeatures.AmxTileConfig | XFeatures.Apx;
}
