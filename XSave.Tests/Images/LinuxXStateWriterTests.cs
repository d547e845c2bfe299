using System.Buffers.Binary;

namespace XSave.Tests.Images;

/// <summary>Images out: NT_X86_XSTATE written for a given layout and XCR0 reads back as the kernel's own format, on any architecture.</summary>
public class LinuxXStateWriterTests
{
    private static readonly YmmRegister Ymm3 = new(new XmmRegister(3, 33), new XmmRegister(333, 3333));

    private static readonly object[] Targets =
    [
        new object[] { XSaveLayout.Intel, (XFeatures)0x2E7, 2696 },
        new object[] { XSaveLayout.AmdZen4, (XFeatures)0x2E7, 2440 },
        new object[] { XSaveLayout.AmdZen2, (XFeatures)0x207, 896 },
        new object[] { XSaveLayout.Intel, (XFeatures)0x7, 832 },
        new object[] { XSaveLayout.Intel, (XFeatures)0x602E7, 11008 },
    ];

    private static XSaveImage Built(XSaveLayout layout, bool pkru = true)
    {
        XSaveArea area = XSaveArea.Initial;
        area.RecordLayout(layout);
        area.Header.XStateBv = XFeatures.X87;
        area.SetYmm(3, Ymm3);
        if (pkru)
        {
            area.SetPkru(0x5555_5554);
        }

        return XSaveImage.Parse(area.ToArray());
    }

    [TestCaseSource(nameof(Targets))]
    public void The_image_has_the_kernels_size_and_XCR0_and_reads_back_its_values(XSaveLayout layout, XFeatures xcr0, int size)
    {
        XSaveImage source = Built(layout, xcr0.HasFlag(XFeatures.Pkru));
        byte[] image = source.ToLinuxXState(xcr0);
        XSaveImage parsed = XSaveImage.Parse(image);
        Assert.Multiple(() =>
        {
            Assert.That(image, Has.Length.EqualTo(size), "CPUID leaf 0DH's EBX for that XCR0");
            Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(464)), Is.EqualTo((ulong)xcr0), "XCR0 in bytes 464–471");
            Assert.That(image.AsSpan(472, 40).IndexOfAnyExcept((byte)0), Is.EqualTo(-1), "the rest of 464–511 zero");
            Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(520)), Is.Zero, "XCOMP_BV");
            Assert.That(parsed.Format, Is.EqualTo(XSaveImageFormat.LinuxXState));
            Assert.That(parsed.Xcr0, Is.EqualTo(xcr0));
            Assert.That(parsed.Area.Ymm(3), Is.EqualTo(Ymm3));
            Assert.That(parsed.InUse, Is.EqualTo(source.InUse));
            if (xcr0.HasFlag(XFeatures.Pkru))
            {
                Assert.That(parsed.Area.Pkru, Is.EqualTo(0x5555_5554u));
            }
        });
    }

    [Test]
    public void A_compacted_image_is_written_in_the_standard_layout_given()
    {
        XSaveArea compacted = Built(XSaveLayout.AmdZen4).ToCompacted();
        byte[] image = XSaveImage.Parse(compacted.ToArray()).ToLinuxXState((XFeatures)0x207, XSaveLayout.AmdZen2);
        XSaveImage parsed = XSaveImage.Parse(image);
        Assert.Multiple(() =>
        {
            Assert.That(image, Has.Length.EqualTo(896));
            Assert.That(parsed.Area.Pkru, Is.EqualTo(0x5555_5554u));
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(832)), Is.EqualTo(0x5555_5554u), "PKRU at 832 on Zen 2");
        });
    }

    [Test]
    public void An_image_the_kernel_would_refuse_is_not_written()
    {
        XSaveImage source = Built(XSaveLayout.AmdZen4);
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentException>(() => source.ToLinuxXState((XFeatures)0x7))!.Message, Does.Contain("0x200").And.Contain("does not enable"));
            Assert.That(Assert.Throws<ArgumentException>(() => source.ToLinuxXState((XFeatures)0x5))!.Message, Does.Contain("lacks x87 or SSE"));
            Assert.That(Assert.Throws<ArgumentException>(() => source.ToLinuxXState((XFeatures)0x20F))!.Message, Does.Contain("no slot"));
            Assert.That(Assert.Throws<ArgumentException>(() => source.ToLinuxXState())!.Message, Does.Contain("records no XCR0"));
        });
    }
}
