namespace XSave.Tests.Hardware;

/// <summary>The MXCSR rule for compacted areas, on this CPU: what a compacted XRSTOR does with the field, and that conversions agree with it.</summary>
[RequiresXSave]
public class CompactedMxcsrHardwareTests : RestoresCpuState
{
    [Test]
    public void A_compacted_restore_with_SSE_in_its_init_state_initialises_MXCSR_and_so_does_the_converted_area()
    {
        if (!Processor.Profile.HasXSaveC)
        {
            Assert.Ignore("Needs XSAVEC (CPUID.(0DH,1):EAX[1]) to restore a compacted area.");
        }

        XSaveArea live = _original;
        live.Legacy.SseRounding = RoundingControl.Up;
        live.Load(); // the live MXCSR is not the init value: "initialised" and "left alone" differ

        XSaveArea compacted = XSaveArea.Initial;
        compacted.Legacy.Mxcsr = (Mxcsr)0x3F80; // stale: rounding down
        compacted.Header.XCompBv = XSaveHeader.CompactedFormat | (ulong)(XFeatures.X87 | XFeatures.Sse);
        compacted.Load();
        Mxcsr afterCompacted = Cpu.MxcsrControl();

        live.Load();
        XSaveImage.Parse(compacted.ToArray()).ToStandard().Load();
        Mxcsr afterStandard = Cpu.MxcsrControl();

        Assert.Multiple(() =>
        {
            Assert.That((uint)afterCompacted, Is.EqualTo(0x1F80u), "initialised, not loaded from the field and not left as it was");
            Assert.That(afterStandard, Is.EqualTo(afterCompacted), "the converted standard area loads the same");
        });
    }
}
