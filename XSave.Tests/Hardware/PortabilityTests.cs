using System.Runtime.InteropServices;

namespace XSave.Tests.Hardware;

/// <summary>Off x86-64 the parsing half works and executing says why it cannot.</summary>
public class PortabilityTests
{
    [Test]
    public void Executing_off_x86_64_throws_PlatformNotSupportedException_naming_the_architecture()
    {
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            Assert.Ignore("Runs where XSAVE cannot: CI runs it on linux-arm64 under qemu.");
        }

        XSaveArea[] area = [XSaveArea.Initial];
        Assert.That(XSaveArea.IsSupported, Is.False);
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<PlatformNotSupportedException>(() => area[0].Save())!.Message, Does.Contain("x86-64").And.Contain("views"));
            Assert.That(Assert.Throws<PlatformNotSupportedException>(() => area[0].Load())!.Message, Does.Contain("x86-64"));
            Assert.That(Assert.Throws<PlatformNotSupportedException>(() => XSaveArea.Clear())!.Message, Does.Contain("x86-64"));
            Assert.That(Assert.Throws<PlatformNotSupportedException>(() => area[0].Legacy.Save())!.Message, Does.Contain("x86-64"));
            Assert.That(Assert.Throws<PlatformNotSupportedException>(() => new XSaveContext())!.Message, Does.Contain("x86-64"));
            Assert.That(Assert.Throws<PlatformNotSupportedException>(() => ExecutableMemory.Map(new byte[] { 0xC3 }))!.Message, Does.Contain("x86-64"));
            Assert.That(XSaveLayout.Current, Is.Null);
        });
    }

    [Test]
    public void Views_and_images_work_on_every_architecture()
    {
        XSaveImage image = XSaveImage.Parse(new ImageBuilder(XSaveLayout.AmdZen4, ImageBuilder.Avx512Pkru).WithRegisters().Bytes);
        Assert.That(image.Area.Opmask(3), Is.EqualTo(ImageBuilder.Opmask(3)));
        Assert.That(image.ToStandard(XSaveLayout.Intel).Opmask(3), Is.EqualTo(ImageBuilder.Opmask(3)));
        TestContext.Out.WriteLine($"read on {RuntimeInformation.ProcessArchitecture}");
    }
}
