namespace XSave.Tests.Support;

/// <summary>Reads of the live state that the tests repeat.</summary>
internal static class Cpu
{
    /// <summary>The live MXCSR without its sticky exception flags (bits 0–5), which any managed code may raise.</summary>
    public static Mxcsr MxcsrControl()
    {
        XSaveArea area = default;
        area.Save();
        return area.Legacy.Mxcsr & ~(Mxcsr)0x3F;
    }

    public static XSaveArea Saved()
    {
        XSaveArea area = default;
        area.Save();
        return area;
    }

    public static Mxcsr WithRounding(Mxcsr mxcsr, int rounding) =>
        (mxcsr & ~(Mxcsr.RoundDown | Mxcsr.RoundUp)) | (Mxcsr)((uint)rounding << 13);
}
