using System.IO;

namespace XSave.Tests.Generator;

/// <summary>
/// Reading an assembly's generated thunk page from its metadata (XSave.Diagnostics), as a
/// debugger or a build check would: XSave.dll's own page, both conventions, against the page the
/// runtime maps; and the refusals.
/// </summary>
public class AssemblyThunkPageTests
{
    private static string RuntimeAssembly => typeof(XSaveArea).Assembly.Location;

    [Test]
    public void Reads_the_runtimes_page_for_either_convention_with_its_listing()
    {
        AssemblyThunkPage systemV = AssemblyThunkPage.Read(RuntimeAssembly, windows: false)!;
        AssemblyThunkPage windows = AssemblyThunkPage.Read(RuntimeAssembly, windows: true)!;
        Assert.Multiple(() =>
        {
            Assert.That(systemV.AssemblyName, Is.EqualTo("XSave"));
            Assert.That(systemV.IsWindowsConvention, Is.False);
            Assert.That(windows.IsWindowsConvention, Is.True);
            Assert.That(systemV.Listing, Does.Contain("xsave64 [rdi]"), "System V: the area in RDI");
            Assert.That(windows.Listing, Does.Contain("xsave64 [rcx]"), "Windows: the area in RCX");
            Assert.That(systemV.Code, Is.Not.EqualTo(windows.Code));
        });
    }

    [Test]
    public void The_page_read_from_metadata_is_the_page_the_runtime_maps()
    {
        if (!XSaveArea.IsSupported)
        {
            Assert.Ignore("Needs XSAVE enabled: the runtime maps its page on first use.");
        }

        _ = XSaveArea.EnabledFeatures;
        ExecutableMapping mapping = ExecutableMemory.Mappings.Single(m => m.Owner == "XSave");
        AssemblyThunkPage page = AssemblyThunkPage.Read(RuntimeAssembly, OperatingSystem.IsWindows())!;
        unsafe
        {
            Assert.That(page.Code, Is.EqualTo(new ReadOnlySpan<byte>((void*)mapping.Address, page.Code.Length).ToArray()));
        }
    }

    [Test]
    public void An_assembly_without_thunks_reads_as_none_and_a_file_that_is_no_assembly_is_refused()
    {
        string notAssembly = Path.GetTempFileName();
        try
        {
            File.WriteAllText(notAssembly, "not a PE file");
            Assert.Multiple(() =>
            {
                Assert.That(AssemblyThunkPage.Read(typeof(Assert).Assembly.Location, windows: false), Is.Null, "NUnit carries none");
                Assert.That(() => AssemblyThunkPage.Read(notAssembly, windows: false), Throws.InstanceOf<BadImageFormatException>().With.Message.Contains("is not a .NET assembly"));
                Assert.That(() => AssemblyThunkPage.Read(notAssembly + ".missing", windows: false), Throws.InstanceOf<IOException>().With.Message.Contains("does not exist"));
            });
        }
        finally
        {
            File.Delete(notAssembly);
        }
    }
}
