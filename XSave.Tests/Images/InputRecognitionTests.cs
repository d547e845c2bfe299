using System.Buffers.Binary;

namespace XSave.Tests.Images;

/// <summary>XSaveImage.Parse shows only what an XSAVE or FXSAVE could have written: anything else is refused by what it is.</summary>
public class InputRecognitionTests
{
    private static string Refusal(byte[] bytes) => Assert.Throws<InvalidXSaveImageException>(() => XSaveImage.Parse(bytes))!.Message;

    [Test]
    public void A_minidump_is_named_never_read_as_a_legacy_region()
    {
        var builder = new MinidumpBuilder();
        builder.Threads.Add((1, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x037F, 0x1F80, 0), 0x1F80)));
        Assert.That(Refusal(builder.Build()), Does.Contain("a minidump").And.Contain("MinidumpFile.Read"));
    }

    [Test]
    public void A_hundred_kilobytes_of_zeros_is_longer_than_any_image()
    {
        Assert.That(Refusal(new byte[100_000]), Does.Contain("100000 long").And.Contain("not an XSAVE image"));
    }

    [TestCase(new byte[] { (byte)'M', (byte)'Z', 0x90, 0 }, "Windows executable")]
    [TestCase(new byte[] { 0x28, 0xB5, 0x2F, 0xFD }, "Zstd-compressed")]
    [TestCase(new byte[] { 0x1F, 0x8B, 8, 0 }, "Gzip-compressed")]
    public void Other_formats_are_named(byte[] start, string expected)
    {
        byte[] bytes = new byte[4096];
        start.CopyTo(bytes, 0);
        Assert.That(Refusal(bytes), Does.Contain(expected));
    }

    [Test]
    public void An_all_zero_page_is_still_an_image_a_save_could_write()
    {
        // XSAVEOPT into a zeroed buffer with every component in its init state writes exactly this.
        Assert.That(XSaveImage.Parse(new byte[XSaveArea.Size]).InUse, Is.EqualTo(XFeatures.None));
    }
}
