namespace XSave.Tests.Images;

/// <summary>
/// MXCSR across the two formats: a standard XRSTOR loads the MXCSR field whenever SSE or AVX is
/// requested; a compacted one loads it only with SSE in use (XSTATE_BV bit 1) and otherwise
/// initialises it to 0x1F80, which is why XSAVEC leaves the field stale then
/// (docs/xsave-behaviour.md). Conversions keep what a restore would load.
/// </summary>
public class CompactedMxcsrTests
{
    private static XSaveArea Compacted(XFeatures inUse, uint staleMxcsr)
    {
        XSaveArea area = XSaveArea.Initial;
        area.Legacy.Mxcsr = (Mxcsr)staleMxcsr;
        area.Header.XStateBv = inUse;
        area.Header.XCompBv = XSaveHeader.CompactedFormat | (ulong)(XFeatures.X87 | XFeatures.Sse | XFeatures.Avx);
        return area;
    }

    [Test]
    public void A_compacted_image_with_SSE_in_its_init_state_converts_to_the_MXCSR_its_restore_loads()
    {
        XSaveArea stale = Compacted(XFeatures.Avx, 0x1FB4);
        XSaveArea standard = XSaveImage.Parse(stale.ToArray()).ToStandard(XSaveLayout.Intel);
        XSaveArea withSse = XSaveImage.Parse(Compacted(XFeatures.Sse, 0x3F80).ToArray()).ToStandard(XSaveLayout.Intel);
        Assert.Multiple(() =>
        {
            Assert.That((uint)standard.Legacy.Mxcsr, Is.EqualTo(0x1F80u), "not the stale 0x1FB4");
            Assert.That((uint)withSse.Legacy.Mxcsr, Is.EqualTo(0x3F80u), "SSE in use: the field is the value");
        });
    }

    [Test]
    public void A_standard_MXCSR_without_SSE_in_use_keeps_its_value_when_compacted()
    {
        XSaveArea area = XSaveArea.Initial;
        area.Legacy.Mxcsr = (Mxcsr)0x5F80; // rounding up, SSE registers in their init state
        area.Header.XStateBv = XFeatures.X87;
        XSaveArea compacted = XSaveImage.Parse(area.ToArray(), XSaveLayout.Intel).ToCompacted();
        XSaveArea initial = XSaveImage.Parse(XSaveArea.Initial.ToArray(), XSaveLayout.Intel).ToCompacted();
        Assert.Multiple(() =>
        {
            Assert.That(compacted.Header.XStateBv.HasFlag(XFeatures.Sse), Is.True, "SSE marked in use, so a compacted XRSTOR loads the field");
            Assert.That((uint)compacted.Legacy.Mxcsr, Is.EqualTo(0x5F80u));
            Assert.That(compacted.Legacy.Xmm[0], Is.EqualTo(default(XmmRegister)), "XMM at their init zeros");
            Assert.That(initial.Header.XStateBv.HasFlag(XFeatures.Sse), Is.False, "0x1F80 is what a compacted restore initialises anyway");
        });
    }
}
