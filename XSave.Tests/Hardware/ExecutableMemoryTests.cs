using System.IO;

namespace XSave.Tests.Hardware;

/// <summary>The thunk pages as the kernel sees them.</summary>
[RequiresXSave]
public class ExecutableMemoryTests
{
    private static string[] Maps() => File.ReadAllLines("/proc/self/maps");

    [Test]
    public void Thunk_pages_are_read_execute_and_never_writable()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("Reads /proc/self/maps, which only Linux has.");
        }

        _ = XSaveArea.EnabledFeatures; // maps the runtime's page
        _ = TestThunks.ReadXcr(0);     // and this assembly's
        ExecutableMapping[] thunks = ExecutableMemory.Mappings.Where(m => m.Listing.Length > 0).ToArray();
        Assert.That(thunks.Select(m => m.Owner), Does.Contain("XSave").And.Contain(typeof(TestThunks).Assembly.GetName().Name));
        foreach (ExecutableMapping mapping in thunks)
        {
            string? line = Maps().FirstOrDefault(l => Contains(l, mapping.Address));
            Assert.That(line, Is.Not.Null, $"{mapping.Owner} at 0x{mapping.Address:X} is in /proc/self/maps");
            Assert.That(line!.Split(' ')[1], Is.EqualTo("r-xp"), line);
        }
    }

    [Test]
    public void Mapping_refuses_empty_code()
    {
        Assert.Throws<ArgumentException>(() => ExecutableMemory.Map(ReadOnlySpan<byte>.Empty));
    }

    private static bool Contains(string mapsLine, nint address)
    {
        string[] range = mapsLine.Split(' ')[0].Split('-');
        ulong start = Convert.ToUInt64(range[0], 16), end = Convert.ToUInt64(range[1], 16);
        return (ulong)address >= start && (ulong)address < end;
    }
}
