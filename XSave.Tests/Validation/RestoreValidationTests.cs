namespace XSave.Tests.Validation;

/// <summary>
/// One test per restore rule: the area is rejected before XRSTOR with an exception naming the
/// field and the rule, nothing is loaded, and the caller's bytes are unchanged. Every bad area
/// carries RC = toward zero, so a load that slipped through would show in the live MXCSR. The
/// offline checks use this CPU where XSAVE runs (so an area saved here is judged by the CPU that
/// wrote it, whatever it enables), else a modelled x87/SSE/AVX CPU.
/// </summary>
public class RestoreValidationTests
{
    private static XFeatures Xcr0 => XSaveArea.IsSupported ? XSaveArea.EnabledFeatures : XFeatures.X87 | XFeatures.Sse | XFeatures.Avx;

    private static uint CpuMxcsrMask => XSaveArea.IsSupported ? Processor.MxcsrMask : 0xFFFF;

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
            () => RestoreValidation.ThrowIfInvalid(in bad, XSaveArea.SafeFeatures, Xcr0, CpuMxcsrMask, compactedSupported: true, XSaveLayout.Current));
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
        // A CPU without XSAVEC refuses any compacted area before the other rules.
        RestoreRule liveRule = bad.Header.IsCompacted && !Processor.Profile.HasXSaveC ? RestoreRule.CompactedFormatUnsupported : rule;
        Assert.Multiple(() =>
        {
            Assert.That(ex!.Rule, Is.EqualTo(liveRule));
            Assert.That(Cpu.MxcsrControl(), Is.EqualTo(live), "nothing was loaded");
            Assert.That(holder[0].AsSpan().ToArray(), Is.EqualTo(before), "the area is unchanged");
        });
    }

    [Test]
    [RequiresXSave]
    public void The_public_check_judges_for_this_CPU_what_Load_would_and_changes_nothing()
    {
        XSaveArea good = GoodArea();
        Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in good));
        XSaveArea bad = good;
        bad.Legacy.Mxcsr |= (Mxcsr)(~CpuMxcsrMask & 0xFFFF_0000u);
        byte[] before = bad.ToArray();
        var refused = Assert.Throws<InvalidXSaveAreaException>(() => RestoreValidation.ThrowIfInvalid(in bad));
        Assert.Multiple(() =>
        {
            Assert.That(refused!.Rule, Is.EqualTo(RestoreRule.MxcsrReservedBits), refused.Message);
            Assert.That(bad.ToArray(), Is.EqualTo(before), "nothing the caller owns changed");
            Assert.That(Assert.Throws<InvalidXSaveAreaException>(() => bad.Load())!.Rule, Is.EqualTo(refused.Rule), "Load refuses it alike");
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
            () => RestoreValidation.ThrowIfInvalid(in bad, XSaveArea.SafeFeatures, Xcr0, 0xFFFF, true, XSaveLayout.Current));
        Assert.That(ex!.Rule, Is.EqualTo(RestoreRule.MxcsrReservedBits));
        Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in bad, XSaveArea.SafeFeatures, Xcr0, 0x2FFFF, true, XSaveLayout.Current));
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

    [TestCase(7)]
    [TestCase(9)]
    [TestCase(12)]
    public void MXCSR_with_an_unmasked_exception_is_rejected(int maskBit)
    {
        XSaveArea bad = GoodArea();
        bad.Legacy.Mxcsr &= ~(Mxcsr)(1u << maskBit);
        AssertRejected(bad, RestoreRule.MxcsrExceptionUnmasked, "MXCSR");
    }

    [TestCase(0)]
    [TestCase(2)]
    [TestCase(5)]
    public void FCW_with_an_unmasked_exception_is_rejected_when_the_x87_state_is_loaded(int maskBit)
    {
        XSaveArea bad = GoodArea();
        bad.Header.XStateBv |= XFeatures.X87;
        bad.Legacy.Fcw &= ~(X87ControlWord)(1 << maskBit);
        AssertRejected(bad, RestoreRule.X87ExceptionUnmasked, "FCW");
    }

    [Test]
    public void Unmasked_exception_refusals_name_this_operating_systems_trap()
    {
        XSaveArea bad = GoodArea();
        bad.Header.XStateBv |= XFeatures.X87;
        bad.Legacy.Mxcsr &= ~Mxcsr.ZeroDivideMask;
        var sse = Assert.Throws<InvalidXSaveAreaException>(() => RestoreValidation.ThrowIfInvalid(in bad, XSaveArea.SafeFeatures, Xcr0, CpuMxcsrMask, true, XSaveLayout.Current));
        bad.Legacy.Mxcsr |= Mxcsr.ZeroDivideMask;
        bad.Legacy.Fcw &= ~X87ControlWord.ZeroDivideMask;
        var x87 = Assert.Throws<InvalidXSaveAreaException>(() => RestoreValidation.ThrowIfInvalid(in bad, XSaveArea.SafeFeatures, Xcr0, CpuMxcsrMask, true, XSaveLayout.Current));
        string trap = System.OperatingSystem.IsWindows() ? "STATUS_FLOAT_" : "SIGFPE";
        string other = System.OperatingSystem.IsWindows() ? "SIGFPE" : "STATUS_FLOAT_";
        Assert.Multiple(() =>
        {
            Assert.That(sse!.Message, Does.Contain(trap).And.Not.Contain(other).And.Contain("no catch block"));
            Assert.That(x87!.Message, Does.Contain(trap).And.Not.Contain(other));
        });
    }

    [Test]
    public void FCW_is_not_checked_when_XSTATE_BV_initialises_the_x87_state()
    {
        XSaveArea area = GoodArea();
        area.Header.XStateBv &= ~XFeatures.X87; // XRSTOR loads FCW 0x037F instead
        area.Legacy.Fcw = (X87ControlWord)0x0C40; // every exception unmasked
        Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in area, XSaveArea.SafeFeatures, Xcr0, CpuMxcsrMask, true, XSaveLayout.Current));
    }

    [TestCase((byte)0x01)]
    [TestCase((byte)0x80)]
    [TestCase((byte)0xFF)]
    public void X87_registers_in_use_are_rejected_when_the_x87_state_is_loaded_unless_allowed(byte ftw)
    {
        XSaveArea area = GoodArea();
        area.Header.XStateBv |= XFeatures.X87;
        area.Legacy.AbridgedFtw = ftw;
        AssertRejected(area, RestoreRule.X87RegistersInUse, "FTW");
        Assert.Multiple(() =>
        {
            Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in area, XSaveArea.SafeFeatures, Xcr0, CpuMxcsrMask, true, XSaveLayout.Current, RestoreHazards.X87RegistersInUse));
            XSaveArea initialised = area;
            initialised.Header.XStateBv &= ~XFeatures.X87; // XRSTOR empties the stack instead
            Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in initialised, XSaveArea.SafeFeatures, Xcr0, CpuMxcsrMask, true, XSaveLayout.Current));
            var fx = Assert.Throws<InvalidXSaveAreaException>(() => RestoreValidation.ThrowIfInvalid(in area.Legacy, CpuMxcsrMask));
            Assert.That(fx!.Rule, Is.EqualTo(RestoreRule.X87RegistersInUse), "FXRSTOR always loads the x87 state");
        });
    }

    [Test]
    public void A_hazard_the_caller_allows_passes_and_the_others_still_do_not()
    {
        XSaveArea area = GoodArea();
        area.Header.XStateBv |= XFeatures.X87;
        area.Legacy.Mxcsr &= ~Mxcsr.ZeroDivideMask;
        area.Legacy.Fcw &= ~X87ControlWord.ZeroDivideMask;
        var onlySse = Assert.Throws<InvalidXSaveAreaException>(() => RestoreValidation.ThrowIfInvalid(
            in area, XSaveArea.SafeFeatures, Xcr0, CpuMxcsrMask, true, XSaveLayout.Current, RestoreHazards.UnmaskedSseExceptions));
        Assert.Multiple(() =>
        {
            Assert.That(onlySse!.Rule, Is.EqualTo(RestoreRule.X87ExceptionUnmasked));
            Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(
                in area, XSaveArea.SafeFeatures, Xcr0, CpuMxcsrMask, true, XSaveLayout.Current, RestoreHazards.UnmaskedSseExceptions | RestoreHazards.UnmaskedX87Exceptions));
        });
    }

    /// <summary>PKRU on modelled CPUs (two vendors' offsets, both formats); on this CPU too where it enables PKRU.</summary>
    [TestCase(1u)]
    [TestCase(2u)]
    [TestCase(0xFFFFFFFFu)]
    public void PKRU_that_locks_key_0_is_rejected_in_every_layout(uint pkru)
    {
        const XFeatures Zen3 = XFeatures.X87 | XFeatures.Sse | XFeatures.Avx | XFeatures.Pkru;
        foreach (XSaveLayout layout in new[] { XSaveLayout.AmdZen4, XSaveLayout.Intel, XSaveLayout.AmdZen2 })
        {
            XSaveArea standard = PkruArea(layout, Zen3, pkru);
            var ex = Assert.Throws<InvalidXSaveAreaException>(() => RestoreValidation.ThrowIfInvalid(in standard, XSaveArea.SafeFeatures, Zen3, 0xFFFF, true, layout));
            Assert.Multiple(() =>
            {
                Assert.That(ex!.Rule, Is.EqualTo(RestoreRule.PkruLocksKeyZero), layout.Name);
                Assert.That(ex.Field, Is.EqualTo("PKRU"));
                Assert.That(ex.Message, Does.Contain($"area byte {layout.Slot(XFeatures.Pkru)!.Value.Offset}"));
                Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in standard, XSaveArea.SafeFeatures, Zen3, 0xFFFF, true, layout, RestoreHazards.KeyZeroLocked));
                Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in standard, XSaveArea.SafeFeatures & ~XFeatures.Pkru, Zen3, 0xFFFF, true, layout), "not restored: not checked");
            });
        }

        XSaveArea compacted = XSaveImage.Parse(PkruArea(XSaveLayout.AmdZen4, Zen3, pkru).ToArray()).ToCompacted();
        var fromCompacted = Assert.Throws<InvalidXSaveAreaException>(() => RestoreValidation.ThrowIfInvalid(in compacted, XSaveArea.SafeFeatures, Zen3, 0xFFFF, true));
        Assert.That(fromCompacted!.Rule, Is.EqualTo(RestoreRule.PkruLocksKeyZero), "compacted: PKRU right after AVX, at 832");

        if (XSaveArea.IsSupported && XSaveArea.EnabledFeatures.HasFlag(XFeatures.Pkru))
        {
            AssertRejected(PkruArea(XSaveLayout.Current!, Xcr0, pkru, GoodArea()), RestoreRule.PkruLocksKeyZero, "PKRU");
        }
    }

    [Test]
    public void PKRU_in_its_init_state_or_leaving_key_0_open_passes()
    {
        const XFeatures Zen3 = XFeatures.X87 | XFeatures.Sse | XFeatures.Avx | XFeatures.Pkru;
        XSaveArea open = PkruArea(XSaveLayout.AmdZen4, Zen3, 0xFFFFFFFC);
        XSaveArea init = PkruArea(XSaveLayout.AmdZen4, Zen3, 3);
        init.Header.XStateBv &= ~XFeatures.Pkru; // XRSTOR loads PKRU = 0 whatever the slot holds
        Assert.Multiple(() =>
        {
            Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in open, XSaveArea.SafeFeatures, Zen3, 0xFFFF, true, XSaveLayout.AmdZen4));
            Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in init, XSaveArea.SafeFeatures, Zen3, 0xFFFF, true, XSaveLayout.AmdZen4));
        });
    }

    private static XSaveArea PkruArea(XSaveLayout layout, XFeatures xcr0, uint pkru, XSaveArea? from = null)
    {
        XSaveArea area = from ?? XSaveArea.Initial;
        area.Header.XStateBv = (area.Header.XStateBv & xcr0) | XFeatures.X87 | XFeatures.Sse | XFeatures.Pkru;
        if (from is null)
        {
            area.RecordLayout(layout);
        }

        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(area.AsSpan()[layout.Slot(XFeatures.Pkru)!.Value.Offset..], pkru);
        return area;
    }
}
