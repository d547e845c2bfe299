using System;
using NUnit.Framework;
using XSave.Tests.Support;

namespace XSave.Tests.Validation;

/// <summary>
/// One test per #GP rule: the area is rejected before XRSTOR with an exception naming the field
/// and the rule, nothing is loaded, and the caller's bytes are unchanged. Every bad area carries
/// RC = toward zero, so a load that slipped through would show in the live MXCSR.
/// </summary>
public class RestoreValidationTests
{
    private const XFeatures Xcr0 = XFeatures.X87 | XFeatures.Sse | XFeatures.Avx;
    private const uint CpuMxcsrMask = 0xFFFF;

    private static XSaveArea GoodArea()
    {
        XSaveArea area = XSaveArea.IsSupported ? Cpu.Saved() : XSaveArea.Initial;
        area.Legacy.Mxcsr = Cpu.WithRounding(area.Legacy.Mxcsr, 3);
        return area;
    }

    /// <summary>Checks the rule offline (any architecture), then on this CPU through Load when it can.</summary>
    private static void AssertRejected(XSaveArea bad, RestoreRule rule, string field, bool onThisCpu = true)
    {
        var offline = Assert.Throws<InvalidXSaveAreaException>(
            () => RestoreValidation.ThrowIfInvalid(in bad, XSaveArea.SafeFeatures, Xcr0, CpuMxcsrMask, compactedSupported: true));
        Assert.Multiple(() =>
        {
            Assert.That(offline!.Rule, Is.EqualTo(rule));
            Assert.That(offline.Field, Does.StartWith(field));
            Assert.That(offline.Message, Does.Contain(field).And.Contain("Nothing was loaded"));
        });

        if (!onThisCpu || !XSaveArea.IsSupported)
        {
            return;
        }

        XSaveArea[] holder = [bad];
        byte[] before = holder[0].AsSpan().ToArray();
        Mxcsr live = Cpu.MxcsrControl();
        var ex = Assert.Throws<InvalidXSaveAreaException>(() => holder[0].Load());
        Assert.Multiple(() =>
        {
            Assert.That(ex!.Rule, Is.EqualTo(rule));
            Assert.That(Cpu.MxcsrControl(), Is.EqualTo(live), "nothing was loaded");
            Assert.That(holder[0].AsSpan().ToArray(), Is.EqualTo(before), "the area is unchanged");
        });
    }

    [Test]
    public void Good_area_passes()
    {
        XSaveArea good = GoodArea();
        good.Header.XStateBv &= Xcr0;
        Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in good, XSaveArea.SafeFeatures, Xcr0, CpuMxcsrMask, true));
    }

    [Test]
    public void XSTATE_BV_bit_outside_XCR0_is_rejected()
    {
        XSaveArea bad = GoodArea();
        bad.Header.XStateBv |= (XFeatures)(1UL << 62); // enabled on no CPU
        AssertRejected(bad, RestoreRule.XStateBvOutsideXcr0, "XSTATE_BV");
    }

    [Test]
    public void Nonzero_XCOMP_BV_in_the_standard_format_is_rejected()
    {
        XSaveArea bad = GoodArea();
        bad.Header.XCompBv = 1;
        AssertRejected(bad, RestoreRule.XCompBvInStandardFormat, "XCOMP_BV");
    }

    [Test]
    public void Compacted_format_on_a_CPU_without_XSAVEC_is_rejected()
    {
        XSaveArea bad = GoodArea();
        bad.Header.XCompBv = XSaveHeader.CompactedFormat | (ulong)Xcr0;
        bad.Header.XStateBv &= Xcr0;
        var ex = Assert.Throws<InvalidXSaveAreaException>(
            () => RestoreValidation.ThrowIfInvalid(in bad, XSaveArea.SafeFeatures, Xcr0, CpuMxcsrMask, compactedSupported: false));
        Assert.That(ex!.Rule, Is.EqualTo(RestoreRule.CompactedFormatUnsupported));
        Assert.That(ex.Message, Does.Contain("XCOMP_BV").And.Contain("XSAVEC"));
    }

    [Test]
    public void Compacted_XCOMP_BV_bit_outside_XCR0_is_rejected()
    {
        XSaveArea bad = GoodArea();
        bad.Header.XStateBv &= Xcr0;
        bad.Header.XCompBv = XSaveHeader.CompactedFormat | (1UL << 62) | (ulong)Xcr0;
        AssertRejected(bad, RestoreRule.XCompBvOutsideXcr0, "XCOMP_BV");
    }

    [Test]
    public void Compacted_XSTATE_BV_bit_missing_from_XCOMP_BV_is_rejected()
    {
        XSaveArea bad = GoodArea();
        bad.Header.XStateBv = XFeatures.X87 | XFeatures.Sse;
        bad.Header.XCompBv = XSaveHeader.CompactedFormat | (ulong)XFeatures.X87;
        AssertRejected(bad, RestoreRule.XStateBvOutsideXCompBv, "XSTATE_BV");
    }

    [Test]
    public void Compacted_layout_with_AMX_tile_data_is_rejected_as_past_the_page()
    {
        // Only a CPU with AMX enabled could get this far, so the rule is checked offline with that XCR0.
        XFeatures amxXcr0 = Xcr0 | XFeatures.AmxTileConfig | XFeatures.AmxTileData;
        XSaveArea bad = GoodArea();
        bad.Header.XStateBv = XFeatures.X87 | XFeatures.Sse;
        bad.Header.XCompBv = XSaveHeader.CompactedFormat | (ulong)amxXcr0;
        var ex = Assert.Throws<InvalidXSaveAreaException>(
            () => RestoreValidation.ThrowIfInvalid(in bad, XSaveArea.SafeFeatures, amxXcr0, CpuMxcsrMask, compactedSupported: true));
        Assert.That(ex!.Rule, Is.EqualTo(RestoreRule.XCompBvOutsidePage));
        Assert.That(ex.Message, Does.Contain("0x40000").And.Contain("page"));
    }

    [TestCase(16)]
    [TestCase(23)]
    [TestCase(24)]
    [TestCase(63)]
    public void Reserved_header_byte_is_rejected(int headerByte)
    {
        XSaveArea bad = GoodArea();
        bad.AsSpan()[512 + headerByte] = 0x80;
        AssertRejected(bad, RestoreRule.HeaderReservedBytes, $"XSAVE header byte {headerByte}");
    }

    [Test]
    public void MXCSR_bit_outside_the_CPU_mask_is_rejected()
    {
        XSaveArea bad = GoodArea();
        bad.Legacy.Mxcsr |= (Mxcsr)0x8000_0000;
        AssertRejected(bad, RestoreRule.MxcsrReservedBits, "MXCSR");
    }

    [Test]
    public void MXCSR_is_checked_against_the_CPU_mask_not_the_image_field()
    {
        XSaveArea bad = GoodArea();
        bad.Legacy.Mxcsr |= Mxcsr.MisalignedExceptionMask; // bit 17: allowed only where the CPU's mask says so
        bad.Legacy.MxcsrMask = (Mxcsr)uint.MaxValue;        // the image's own claim is ignored, as XRSTOR ignores it
        var ex = Assert.Throws<InvalidXSaveAreaException>(
            () => RestoreValidation.ThrowIfInvalid(in bad, XSaveArea.SafeFeatures, Xcr0, 0xFFFF, true));
        Assert.That(ex!.Rule, Is.EqualTo(RestoreRule.MxcsrReservedBits));
        Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in bad, XSaveArea.SafeFeatures, Xcr0, 0x2FFFF, true));
    }

    [Test]
    public void MXCSR_is_not_checked_when_the_restore_does_not_load_it()
    {
        XSaveArea area = GoodArea();
        area.Header.XStateBv &= Xcr0;
        area.Legacy.Mxcsr |= (Mxcsr)0x8000_0000;
        Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in area, XFeatures.X87, Xcr0, CpuMxcsrMask, true));
    }

    [Test]
    [RequiresXSave]
    public void FXRSTOR_with_a_reserved_MXCSR_bit_is_rejected_and_loads_nothing()
    {
        LegacyRegion[] region = [default];
        region[0].Save();
        region[0].Mxcsr = Cpu.WithRounding(region[0].Mxcsr, 3) | (Mxcsr)0x8000_0000;
        Mxcsr live = Cpu.MxcsrControl();
        var ex = Assert.Throws<InvalidXSaveAreaException>(() => region[0].Load());
        Assert.That(ex!.Rule, Is.EqualTo(RestoreRule.MxcsrReservedBits));
        Assert.That(Cpu.MxcsrControl(), Is.EqualTo(live));
    }
}
