using System.Buffers.Binary;

namespace XSave.Tests.Images;

/// <summary>Images of any length and either vendor's layout, read without executing anything.</summary>
public class ImageParsingTests
{
    private static void AssertRegisters(XSaveArea area)
    {
        for (int r = 0; r < 32; r++)
        {
            byte[] zmm = new byte[64];
            System.Runtime.InteropServices.MemoryMarshal.Write(zmm, area.Zmm(r));
            for (int j = 0; j < 64; j++)
            {
                Assert.That(zmm[j], Is.EqualTo(ImageBuilder.Pattern(r, j)), $"ZMM{r} byte {j}");
            }
        }

        for (int k = 0; k < 8; k++)
        {
            Assert.That(area.Opmask(k), Is.EqualTo(ImageBuilder.Opmask(k)), $"K{k}");
        }

        Assert.That(area.Pkru, Is.EqualTo(ImageBuilder.PkruValue));
    }

    [Test]
    public void Intel_and_AMD_images_of_the_same_registers_read_the_same()
    {
        byte[] intel = new ImageBuilder(XSaveLayout.Intel, ImageBuilder.Avx512Pkru).WithRegisters().Bytes;
        byte[] amd = new ImageBuilder(XSaveLayout.AmdZen4, ImageBuilder.Avx512Pkru).WithRegisters().Bytes;
        Assert.That((intel.Length, amd.Length), Is.EqualTo((2696, 2440)), "the sizes CPUID reports on each vendor");

        XSaveImage fromIntel = XSaveImage.Parse(intel), fromAmd = XSaveImage.Parse(amd);
        Assert.Multiple(() =>
        {
            Assert.That(fromIntel.Format, Is.EqualTo(XSaveImageFormat.LinuxXState));
            Assert.That(fromIntel.Xcr0, Is.EqualTo(ImageBuilder.Avx512Pkru));
            Assert.That(fromIntel.Layout, Is.SameAs(XSaveLayout.Intel), "recognised by XCR0 and length");
            Assert.That(fromAmd.Layout, Is.SameAs(XSaveLayout.AmdZen4));
        });
        AssertRegisters(fromIntel.Area);
        AssertRegisters(fromAmd.Area);
    }

    [Test]
    public void The_layout_travels_with_the_area()
    {
        XSaveArea area = XSaveImage.Parse(new ImageBuilder(XSaveLayout.AmdZen4, ImageBuilder.Avx512Pkru).WithRegisters().Bytes).Area;
        byte[] sent = area.AsReadOnlySpan().ToArray(); // to a file, a socket, another machine
        XSaveArea received = default;
        sent.CopyTo(received.AsSpan());
        Assert.That(received.Layout!.Agrees(XSaveLayout.AmdZen4, ImageBuilder.Avx512Pkru), Is.True);
        AssertRegisters(received);
    }

    [Test]
    public void Converting_between_layouts_and_formats_keeps_every_register()
    {
        XSaveImage amd = XSaveImage.Parse(new ImageBuilder(XSaveLayout.AmdZen4, ImageBuilder.Avx512Pkru).WithRegisters().Bytes);
        XSaveArea asIntel = amd.ToStandard(XSaveLayout.Intel);
        AssertRegisters(asIntel);
        Assert.That(asIntel.Layout!.Agrees(XSaveLayout.Intel, ImageBuilder.Avx512Pkru), Is.True);

        XSaveArea compacted = amd.ToCompacted();
        Assert.That(compacted.Header.IsCompacted, Is.True);
        AssertRegisters(compacted);
        XSaveImage back = XSaveImage.Parse(compacted.AsReadOnlySpan());
        Assert.That(back.Format, Is.EqualTo(XSaveImageFormat.Compacted));
        AssertRegisters(back.ToStandard(XSaveLayout.AmdZen4));
    }

    [Test]
    public void Compacted_offsets_follow_XCOMP_BV_and_alignment()
    {
        XSaveLayout layout = XSaveLayout.Compacted(XFeatures.Avx | XFeatures.Avx512Opmask | XFeatures.Pkru | XFeatures.AmxTileConfig);
        Assert.Multiple(() =>
        {
            Assert.That(layout.Slot(XFeatures.Avx), Is.EqualTo(new ComponentSlot(576, 256)));
            Assert.That(layout.Slot(XFeatures.Avx512Opmask), Is.EqualTo(new ComponentSlot(832, 64)));
            Assert.That(layout.Slot(XFeatures.Pkru), Is.EqualTo(new ComponentSlot(896, 8)));
            Assert.That(layout.Slot(XFeatures.AmxTileConfig), Is.EqualTo(new ComponentSlot(960, 64)), "TILECFG aligned to 64 after PKRU ends at 904");
            Assert.That(layout.Slot(XFeatures.Avx512ZmmHi256), Is.Null);
        });
    }

    [Test]
    public void A_component_in_its_init_state_reads_as_zero_whatever_its_slot_holds()
    {
        byte[] bytes = new ImageBuilder(XSaveLayout.Intel, ImageBuilder.Avx512Pkru).WithRegisters().Bytes;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(512), (ulong)(ImageBuilder.Avx512Pkru & ~(XFeatures.Avx512Opmask | XFeatures.Pkru | XFeatures.Sse)));
        XSaveArea area = XSaveImage.Parse(bytes).Area;
        Assert.Multiple(() =>
        {
            Assert.That(area.Opmask(3), Is.Zero);
            Assert.That(area.Pkru, Is.Zero);
            Assert.That(area.Ymm(4).Low, Is.EqualTo(default(XmmRegister)), "XMM in init state");
            Assert.That(area.Ymm(4).High, Is.Not.EqualTo(default(XmmRegister)), "AVX upper half still in use");
        });
    }

    [Test]
    public void An_FXSAVE_image_reads_as_x87_and_SSE()
    {
        byte[] bytes = new byte[512];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), 0x1F80);
        bytes[160] = 0x42;
        XSaveImage image = XSaveImage.Parse(bytes);
        Assert.That(image.Format, Is.EqualTo(XSaveImageFormat.FxSave));
        Assert.That(image.InUse, Is.EqualTo(XFeatures.X87 | XFeatures.Sse));
        Assert.That(image.Area.Ymm(0).Low.Low, Is.EqualTo(0x42UL));
    }

    [Test]
    public void An_image_larger_than_a_page_keeps_what_fits_and_says_what_it_dropped()
    {
        XFeatures amx = ImageBuilder.Avx512Pkru | XFeatures.AmxTileConfig | XFeatures.AmxTileData;
        byte[] bytes = new ImageBuilder(XSaveLayout.Intel, amx).WithRegisters().Bytes;
        Assert.That(bytes.Length, Is.EqualTo(11008));
        bytes[2752] = 1; // TILECFG palette 1
        XSaveImage image = XSaveImage.Parse(bytes);
        Assert.Multiple(() =>
        {
            Assert.That(image.Dropped, Is.EqualTo(XFeatures.AmxTileData));
            Assert.That(image.InUse.HasFlag(XFeatures.AmxTileData), Is.False);
            Assert.That(image.Area.TileConfig[0], Is.EqualTo(1));
        });
        AssertRegisters(image.Area);
    }

    [TestCase(0, "length")]
    [TestCase(511, "length")]
    [TestCase(513, "length")]
    [TestCase(575, "length")]
    [TestCase(1000, "length")]
    public void Truncated_images_are_rejected(int length, string field)
    {
        byte[] full = new ImageBuilder(XSaveLayout.Intel, ImageBuilder.Avx512Pkru).WithRegisters().Bytes;
        var ex = Assert.Throws<InvalidXSaveImageException>(() => XSaveImage.Parse(full.AsSpan(0, length)));
        Assert.That(ex!.Field, Is.EqualTo(field));
        Assert.That(ex.Message, Does.Contain(length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void Standard_images_whose_vendor_cannot_be_told_need_a_layout_off_x86_or_use_this_CPU()
    {
        byte[] bytes = new ImageBuilder(XSaveLayout.AmdZen4, ImageBuilder.Avx512Pkru).WithRegisters().Bytes;
        bytes.AsSpan(464, 8).Clear(); // no XCR0 record: Intel and AMD disagree on AVX-512
        XSaveImage withLayout = XSaveImage.Parse(bytes, XSaveLayout.AmdZen4);
        AssertRegisters(withLayout.Area);
        if (XSaveLayout.Current is null)
        {
            Assert.Throws<InvalidXSaveImageException>(() => XSaveImage.Parse(bytes));
        }
    }

    [Test]
    public void An_area_recording_another_CPUs_layout_is_refused_by_restore_validation()
    {
        XSaveArea amd = XSaveImage.Parse(new ImageBuilder(XSaveLayout.AmdZen4, ImageBuilder.Avx512Pkru).WithRegisters().Bytes).Area;
        var ex = Assert.Throws<InvalidXSaveAreaException>(() => RestoreValidation.ThrowIfInvalid(
            in amd, XSaveArea.SafeFeatures, ImageBuilder.Avx512Pkru, 0xFFFF, compactedSupported: true, cpuLayout: XSaveLayout.Intel));
        Assert.That(ex!.Rule, Is.EqualTo(RestoreRule.LayoutMismatch));
        Assert.That(ex.Message, Does.Contain("ToStandard"));
        XSaveArea converted = XSaveImage.Parse(amd.AsReadOnlySpan()).ToStandard(XSaveLayout.Intel);
        Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(
            in converted, XSaveArea.SafeFeatures, ImageBuilder.Avx512Pkru, 0xFFFF, true, XSaveLayout.Intel));
    }

    [TestCase((ushort)0x3FFF, 0x8000_0000_0000_0000UL, 1.0)]
    [TestCase((ushort)0xC000, 0xA000_0000_0000_0000UL, -2.5)]
    [TestCase((ushort)0x0000, 0x0000_0000_0000_0000UL, 0.0)]
    [TestCase((ushort)0x7FFF, 0x8000_0000_0000_0000UL, double.PositiveInfinity)]
    [TestCase((ushort)0xFFFF, 0xC000_0000_0000_0000UL, double.NaN)]
    [TestCase((ushort)0x4000, 0x0000_0000_0000_0001UL, double.NaN)] // unnormal
    [TestCase((ushort)0x7FFE, 0x8000_0000_0000_0000UL, double.PositiveInfinity)] // beyond double
    public void X87_registers_decode_from_80_bit_extended_precision(ushort signAndExponent, ulong significand, double expected)
    {
        var register = new X87Register { SignAndExponent = signAndExponent, Significand = significand };
        Assert.That(register.ToDouble(), Is.EqualTo(expected));
    }
}
