using System.IO;
using System.Text.Json;
using XSave.Tool;

namespace XSave.Tests.Tool;

/// <summary>'xsave read' on minidumps and on inputs that are no state at all: the format by content, every thread, refusals that name the file.</summary>
public class ReadMinidumpTests
{
    private static (int Exit, string Output, string Errors) Read(byte[] bytes, params string[] options)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("xsave-read-").FullName, "input");
        File.WriteAllBytes(path, bytes);
        try
        {
            var output = new StringWriter();
            var errors = new StringWriter();
            int exit = Cli.Run(["read", path, .. options], output, errors, Style.Plain);
            return (exit, output.ToString(), errors.ToString().Replace(path, "FILE"));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    private static byte[] Dump()
    {
        var builder = new MinidumpBuilder();
        builder.Threads.Add((0x10, MinidumpBuilder.X64Context(0x10000B, MinidumpBuilder.Legacy(0x027F, 0x1F80, 0), contextMxcsr: 0)));
        builder.Threads.Add((0x20, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x027F, 0x5F80, 0), 0x5F80)));
        builder.Exception = (0x20, 0xC0000094, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x027F, 0x7F80, 0), 0x7F80));
        builder.Names[0x20] = "worker";
        return builder.Build();
    }

    [Test]
    public void A_minidump_is_read_thread_by_thread_with_the_exceptions_context_named()
    {
        var (exit, output, errors) = Read(Dump(), "--json");
        Assert.That(exit, Is.Zero, errors);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement root = json.RootElement;
        JsonElement[] threads = root.GetProperty("threads").EnumerateArray().ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("format").GetString(), Is.EqualTo("minidump"));
            Assert.That(root.GetProperty("arch").GetString(), Is.EqualTo("x64"));
            Assert.That(threads.Select(t => t.GetProperty("contextSource").GetString()), Is.EqualTo(new[] { "threadList", "threadList", "exception" }));
            Assert.That(threads.Select(t => t.GetProperty("mxcsr").GetString()), Is.EqualTo(new[] { "0x1F80", "0x5F80", "0x7F80" }));
            Assert.That(threads[1].GetProperty("name").GetString(), Is.EqualTo("worker"));
            Assert.That(threads[0].GetProperty("contextMxcsr").GetString(), Is.EqualTo("0x0"), "Breakpad's zero CONTEXT.MxCsr, said beside FltSave's");
            Assert.That(threads[2].GetProperty("context").GetString(), Does.Contain("at the fault (exception 0xC0000094)"));
            Assert.That(threads[1].GetProperty("context").GetString(), Does.Contain("inside the exception dispatcher"));
        });
    }

    [Test]
    public void The_text_report_says_which_MXCSR_it_shows()
    {
        var (exit, output, _) = Read(Dump());
        Assert.That(exit, Is.Zero);
        Assert.That(output, Does.Contain("CONTEXT.MxCsr").And.Contain("the MXCSR below is FltSave's"));
    }

    [Test]
    public void Inputs_that_are_no_state_are_refused_naming_the_file_and_what_it_is()
    {
        byte[] mdmpAsImage = [.. "MDMP"u8, .. new byte[4092]];
        Assert.Multiple(() =>
        {
            Assert.That(Read(new byte[100_000]), Is.EqualTo((1, string.Empty, "xsave: FILE (XSAVE image): The data is larger than 65536 bytes, more than any XSAVE image, and is neither an ELF core nor a minidump.\n")));
            byte[] reservedMxcsr = new byte[512];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(reservedMxcsr.AsSpan(24), 0x00200000);
            Assert.That(Read(reservedMxcsr).Errors, Does.Contain("FILE (XSAVE image): MXCSR at byte 24 reads 0x00200000: bits 16–31 are reserved"));
            byte[] largeDll = [.. "MZ"u8, .. new byte[200_000]];
            Assert.That(Read(largeDll).Errors, Does.Contain("a Windows executable or DLL"), "a DLL larger than any image is named, not only measured");
            var (exit, output, errors) = Read(mdmpAsImage);
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(output, Is.Empty);
            Assert.That(errors, Does.StartWith("xsave: FILE (minidump): "));
        });
    }
}
