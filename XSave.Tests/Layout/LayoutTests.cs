using System.Runtime.CompilerServices;

namespace XSave.Tests.Layout;

/// <summary>Sizes and offsets against Intel SDM vol. 1 table 10-2 (legacy region) and §13.4 (header).</summary>
public class LayoutTests
{
    [Test]
    public void Sizes_match_the_manual()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Unsafe.SizeOf<XSaveArea>(), Is.EqualTo(4096));
            Assert.That(Unsafe.SizeOf<LegacyRegion>(), Is.EqualTo(512));
            Assert.That(Unsafe.SizeOf<XSaveHeader>(), Is.EqualTo(64));
            Assert.That(Unsafe.SizeOf<X87Register>(), Is.EqualTo(16));
            Assert.That(Unsafe.SizeOf<XmmRegister>(), Is.EqualTo(16));
            Assert.That(Unsafe.SizeOf<X87RegisterArray>(), Is.EqualTo(128));
            Assert.That(Unsafe.SizeOf<XmmRegisterArray>(), Is.EqualTo(256));
        });
    }

    private static readonly (string Field, int Offset, int Size, Action<XSaveArea[]> Write)[] Fields =
    [
        ("FCW", 0, 2, a => a[0].Legacy.Fcw = (X87ControlWord)0xFFFF),
        ("FSW", 2, 2, a => a[0].Legacy.Fsw = (X87StatusWord)0xFFFF),
        ("FTW", 4, 1, a => a[0].Legacy.AbridgedFtw = 0xFF),
        ("FOP", 6, 2, a => a[0].Legacy.Fop = 0xFFFF),
        ("FIP", 8, 8, a => a[0].Legacy.Fip = ulong.MaxValue),
        ("FDP", 16, 8, a => a[0].Legacy.Fdp = ulong.MaxValue),
        ("MXCSR", 24, 4, a => a[0].Legacy.Mxcsr = (Mxcsr)uint.MaxValue),
        ("MXCSR_MASK", 28, 4, a => a[0].Legacy.MxcsrMask = (Mxcsr)uint.MaxValue),
        ("ST0", 32, 10, a => a[0].Legacy.St[0] = new X87Register { Significand = ulong.MaxValue, SignAndExponent = 0xFFFF }),
        ("ST7", 144, 10, a => a[0].Legacy.St[7] = new X87Register { Significand = ulong.MaxValue, SignAndExponent = 0xFFFF }),
        ("XMM0", 160, 16, a => a[0].Legacy.Xmm[0] = new XmmRegister(ulong.MaxValue, ulong.MaxValue)),
        ("XMM15", 400, 16, a => a[0].Legacy.Xmm[15] = new XmmRegister(ulong.MaxValue, ulong.MaxValue)),
        ("XSTATE_BV", 512, 8, a => a[0].Header.XStateBv = (XFeatures)ulong.MaxValue),
        ("XCOMP_BV", 520, 8, a => a[0].Header.XCompBv = ulong.MaxValue),
    ];

    private static string[] FieldNames() => Array.ConvertAll(Fields, f => f.Field);

    [TestCaseSource(nameof(FieldNames))]
    public void Field_lies_at_its_manual_offset(string field)
    {
        var (_, offset, size, write) = Array.Find(Fields, f => f.Field == field);
        XSaveArea[] area = new XSaveArea[1];
        write(area);
        Span<byte> bytes = area[0].AsSpan();
        int first = bytes.IndexOfAnyExcept((byte)0);
        int last = bytes.LastIndexOfAnyExcept((byte)0);
        Assert.That((first, last), Is.EqualTo((offset, offset + size - 1)), $"{field} should occupy bytes {offset}..{offset + size - 1}");
    }

    [Test]
    public void The_shared_restore_checks_read_the_fields_where_the_views_do()
    {
        // RestoreChecks is compiled into freestanding projects too, with its own offsets.
        XSaveArea area = default;
        area.Legacy.Fcw = (X87ControlWord)0x1234;
        area.Legacy.AbridgedFtw = 0x56;
        area.Legacy.Mxcsr = (Mxcsr)0x789A;
        area.Header.XStateBv = (XFeatures)0x1111;
        area.Header.XCompBv = 0x2222;
        byte[] bytes = area.ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(BitConverter.ToUInt16(bytes, RestoreChecks.FcwOffset), Is.EqualTo(0x1234));
            Assert.That(bytes[RestoreChecks.AbridgedFtwOffset], Is.EqualTo(0x56));
            Assert.That(BitConverter.ToUInt32(bytes, RestoreChecks.MxcsrOffset), Is.EqualTo(0x789A));
            Assert.That(BitConverter.ToUInt64(bytes, RestoreChecks.XStateBvOffset), Is.EqualTo(0x1111));
            Assert.That(BitConverter.ToUInt64(bytes, RestoreChecks.XCompBvOffset), Is.EqualTo(0x2222));
            Assert.That(RestoreChecks.HeaderReservedOffset, Is.EqualTo(XSaveArea.HeaderOffset + 16));
            Assert.That(RestoreChecks.HeaderEnd, Is.EqualTo(XSaveArea.HeaderOffset + XSaveHeader.Size));
        });
    }

    [Test]
    public void Initial_is_the_processor_init_state()
    {
        XSaveArea initial = XSaveArea.Initial;
        Assert.Multiple(() =>
        {
            Assert.That((ushort)initial.Legacy.Fcw, Is.EqualTo(0x037F));
            Assert.That((uint)initial.Legacy.Mxcsr, Is.EqualTo(0x1F80));
            Assert.That(initial.Header.XStateBv, Is.EqualTo(XFeatures.None));
            Assert.That(initial.AsSpan()[26..].IndexOfAnyExcept((byte)0), Is.EqualTo(-1), "everything after MXCSR is zero");
        });
    }

    [Test]
    public void Safe_features_are_the_generator_mask()
    {
        Assert.That((ulong)XSaveArea.SafeFeatures, Is.EqualTo((ulong)XSave.Generators.XSaveThunkGenerator.CodeAssembler.SafeFeatureMask));
    }

    [Test]
    public void Rounding_control_reads_and_writes_its_two_bits_alone()
    {
        LegacyRegion region = default;
        region.Mxcsr = Mxcsr.AllExceptionMasks | Mxcsr.FlushToZero;
        region.Fcw = (X87ControlWord)0x037F;
        region.SseRounding = RoundingControl.TowardZero;
        region.X87Rounding = RoundingControl.Up;
        Assert.Multiple(() =>
        {
            Assert.That((uint)region.Mxcsr, Is.EqualTo(0x1F80u | 0x8000u | 0x6000u));
            Assert.That((ushort)region.Fcw, Is.EqualTo(0x0B7F));
            Assert.That(region.SseRounding, Is.EqualTo(RoundingControl.TowardZero));
            Assert.That(region.X87Rounding, Is.EqualTo(RoundingControl.Up));
        });
        region.SseRounding = RoundingControl.Nearest;
        Assert.That((uint)region.Mxcsr, Is.EqualTo(0x1F80u | 0x8000u));
    }

    [Test]
    public void Control_and_status_words_print_as_flags()
    {
        Assert.Multiple(() =>
        {
            Assert.That(((X87ControlWord)0x037F).ToString(), Does.Contain("AllExceptionMasks").And.Not.Match("^[0-9]+$"));
            Assert.That(((X87StatusWord)0x0800).ToString(), Is.EqualTo("Top0"));
            Assert.That(Mxcsr.AllExceptionMasks.ToString(), Is.EqualTo("AllExceptionMasks"));
        });
    }

    [TestCase(0x1F80u, "AllExceptionMasks")]
    [TestCase(0x3F80u, "AllExceptionMasks, RoundDown")]
    [TestCase(0x5F80u, "AllExceptionMasks, RoundUp")]
    [TestCase(0x7F80u, "AllExceptionMasks, RoundTowardZero")]
    public void MXCSR_prints_its_rounding_mode_by_name(uint value, string expected) =>
        Assert.That(((Mxcsr)value).ToString(), Is.EqualTo(expected));

    [TestCase((ushort)0x037F, "AllExceptionMasks, Reserved6, ExtendedPrecision")]
    [TestCase((ushort)0x027F, "AllExceptionMasks, Reserved6, DoublePrecision")]
    [TestCase((ushort)0x0A7F, "AllExceptionMasks, Reserved6, DoublePrecision, RoundUp")]
    [TestCase((ushort)0x0F7F, "AllExceptionMasks, Reserved6, ExtendedPrecision, RoundTowardZero")]
    public void FCW_prints_its_precision_and_rounding_by_name(ushort value, string expected) =>
        Assert.That(((X87ControlWord)value).ToString(), Is.EqualTo(expected));

    [Test]
    public void GetLayout_is_the_recorded_layout_or_says_why_there_is_none()
    {
        XSaveArea recorded = default;
        recorded.RecordLayout(XSaveLayout.AmdZen4);
        Assert.That(recorded.GetLayout(), Is.EqualTo(XSaveLayout.AmdZen4));
        XSaveArea bare = default;
        if (XSaveLayout.Current is null)
        {
            Assert.That(Assert.Throws<InvalidOperationException>(() => bare.GetLayout())!.Message, Does.Contain("XSaveImage.Parse"));
        }
        else
        {
            Assert.That(bare.GetLayout(), Is.EqualTo(XSaveLayout.Current), "this CPU's layout stands in");
        }
    }

    [Test]
    public void A_component_is_one_XFeatures_bit()
    {
        Assert.Multiple(() =>
        {
            Assert.That(((XFeatures)0x207).Components(), Is.EqualTo(new[] { XFeatures.X87, XFeatures.Sse, XFeatures.Avx, XFeatures.Pkru }));
            Assert.That(XFeatures.None.Components(), Is.Empty);
            Assert.That(XSaveLayout.AmdZen4.Slot(XFeatures.Pkru), Is.EqualTo(new ComponentSlot(2432, 8)));
            Assert.That(XSaveLayout.Intel.Slot(XFeatures.X87), Is.Null, "x87 lives in the legacy region");
            Assert.That(XSaveLayout.ArchitecturalSize(XFeatures.Avx512Hi16Zmm), Is.EqualTo(1024));
            Assert.Throws<ArgumentException>(() => XSaveLayout.Intel.Slot(XFeatures.Avx | XFeatures.Pkru), "two components");
            Assert.Throws<ArgumentException>(() => XSaveLayout.ArchitecturalSize(XFeatures.None), "no component");
        });
    }

    [Test]
    public void The_generator_knows_every_instruction_by_the_runtime_s_names_and_values()
    {
        // The generator compiles the runtime's source; this would catch a copy that drifted anyway.
        // Its copy also lists the privileged instructions, which only the freestanding form runs,
        // and the runtime's own routines, which the runtime names by number (RuntimeRoutine).
        string[] privileged = ["XSetBv", "ReadCr4", "EnableOsXSave"];
        string[] routines = ["CopyRuns", "CopyRunsAvx", "CheckedRestore", "CheckedRestoreAvx", "SaveBounced", "SaveBouncedAvx", "XSaveOptXRstor", "PreparedSave"];
        Assert.That(Enum.GetNames<XSave.Generators.Shared.XSaveInstruction>(), Is.EqualTo(Enum.GetNames<XSaveInstruction>().Concat(privileged).Concat(routines)));
        Assert.That(new[] { RuntimeRoutine.CopyRuns, RuntimeRoutine.CopyRunsAvx, RuntimeRoutine.CheckedRestore, RuntimeRoutine.CheckedRestoreAvx, RuntimeRoutine.SaveBounced, RuntimeRoutine.SaveBouncedAvx, RuntimeRoutine.XSaveOptXRstor, RuntimeRoutine.PreparedSave }.Select(v => (int)v),
            Is.EqualTo(routines.Select(r => (int)Enum.Parse<XSave.Generators.Shared.XSaveInstruction>(r))), "RuntimeRoutine's numbers are the generator's");
        Assert.That(Enum.GetValues<XSave.Generators.Shared.XSaveInstruction>().Take(Enum.GetValues<XSaveInstruction>().Length).Select(v => (int)v), Is.EqualTo(Enum.GetValues<XSaveInstruction>().Select(v => (int)v)));
    }

    // Standard-format slot (offset, size) per component on Intel and on AMD (CPUID leaf 0DH, as
    // recorded in docs/layouts.md). A component is safe only if its slot ends in the page on both.
    private static readonly (XFeatures Feature, int IntelEnd, int AmdEnd)[] SlotEnds =
    [
        (XFeatures.Avx, 576 + 256, 576 + 256),
        (XFeatures.MpxBndRegs, 960 + 64, 0),
        (XFeatures.MpxBndCsr, 1024 + 64, 0),
        (XFeatures.Avx512Opmask, 1088 + 64, 832 + 64),
        (XFeatures.Avx512ZmmHi256, 1152 + 512, 896 + 512),
        (XFeatures.Avx512Hi16Zmm, 1664 + 1024, 1408 + 1024),
        (XFeatures.Pkru, 2688 + 8, 2432 + 8),
        (XFeatures.AmxTileConfig, 2752 + 64, 0),
        (XFeatures.AmxTileData, 2816 + 8192, 0),
        (XFeatures.Apx, 960 + 128, 0),
    ];

    [Test]
    public void Safe_features_are_exactly_the_components_that_fit_the_page()
    {
        XFeatures fitting = XFeatures.X87 | XFeatures.Sse;
        foreach (var (feature, intelEnd, amdEnd) in SlotEnds)
        {
            if (Math.Max(intelEnd, amdEnd) <= XSaveArea.Size)
            {
                fitting |= feature;
            }
        }

        XFeatures safe = XSaveArea.SafeFeatures;
        Assert.That(safe, Is.EqualTo(fitting));
        Assert.That(safe & XFeatures.AmxTileData, Is.EqualTo(XFeatures.None));
    }
}
