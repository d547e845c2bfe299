using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace XSave.Tool;

/// <summary>The command line and its commands. Exit codes: 0 done, 1 failed, 2 usage.</summary>
internal static class Cli
{
    public const string Help = """
        xsave - inspect the x86 extended CPU state (x87, SSE, AVX, AVX-512, PKRU, ...)

        usage (every command also takes --help):
          xsave show [--json]          save this thread's live state, print it, restore it
          xsave read FILE [--json]     print a saved area, an XSAVE image (NT_X86_XSTATE,
                                       FXSAVE, compacted, AMX-sized), a Linux core file or a
                                       minidump, told by content (also gzip/zstd/xz/lz4/
                                       bzip2-compressed; '-' is stdin)
          xsave save FILE              write this thread's live state to FILE (4096 bytes)
          xsave pid PID [--json]       print every thread of a running process, each stopped
                                       briefly (Linux: ptrace; Windows: SuspendThread and
                                       GetThreadContext; read-only)
          xsave watch PID              print a line for each change of any thread's MXCSR or FCW
                                       (who changed my control words?), sampling every 100 ms
                                       (--interval MS) until Ctrl+C (--seconds S); --json: a
                                       JSON object per line
          xsave thunks [ASSEMBLY.dll]  decode the machine code the generator assembled from its bytes
                                       (this tool's own as mapped, or an assembly's [XSaveThunk]
                                       thunks) and check it against the stored listing
          xsave help | --help | -h     this text (COMMAND --help: that command's options)
          xsave --version              the tool's version

        Arguments can come from a response file (xsave @args.rsp); with dotnet-suggest installed,
        shells complete commands and options.

        --json writes one JSON object for scripts. Colour is used only on a terminal (NO_COLOR
        turns it off). Reading files and assemblies works on any CPU; show, save and the tool's own
        thunks need x86-64.
        """;

    /// <summary>
    /// Parses <paramref name="args"/> with System.CommandLine (response files with <c>@file</c>,
    /// completion through dotnet-suggest's <c>[suggest]</c> directive, POSIX option bundling) and
    /// runs the command. A parse error is one line and exit code 2, as every other error is one
    /// line (or one JSON object with <c>--json</c>) and exit code 1.
    /// </summary>
    public static int Run(string[] args, TextWriter output, TextWriter errors, Style style)
    {
        var (root, usages) = Commands(output, style);
        ParseResult parsed = root.Parse(args, new ParserConfiguration { EnablePosixBundling = true });

        // Errors are JSON where --json was given, on the command line or in a response file.
        bool json = parsed.Tokens.Any(token => token.Value == "--json");
        if (parsed.Errors.Count > 0 && parsed.Action is not HelpText)
        {
            Command command = parsed.CommandResult.Command;
            return Usage(errors, json, parsed.Errors[0].Message, command == root ? null : usages[command.Name]);
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = errors, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is PlatformNotSupportedException or InvalidXSaveImageException or InvalidXSaveAreaException or IOException or UnauthorizedAccessException or BadImageFormatException or ThreadTracingException or InvalidDataException)
        {
            return Fail(errors, json, e.Message, 1);
        }
    }

    // The commands, and the usage line each one's errors repeat.
    private static (RootCommand Root, Dictionary<string, string> Usages) Commands(TextWriter output, Style style)
    {
        var json = new Option<bool>("--json") { Description = "Write one JSON object for scripts." };
        var file = new Argument<string>("FILE") { Description = "A saved area, an XSAVE image or a Linux core file; '-' is standard input." };
        var saveFile = new Argument<string>("FILE") { Description = "Where to write this thread's state (4096 bytes)." };
        var pid = new Argument<int>("PID")
        {
            Description = "A running process's id.",
            CustomParser = result => int.TryParse(result.Tokens[0].Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id) && id > 0
                ? id
                : Refuse(result, $"'{result.Tokens[0].Value}' is not a process id."),
        };
        var assembly = new Argument<string?>("ASSEMBLY.dll") { Arity = ArgumentArity.ZeroOrOne, Description = "An assembly whose [XSaveThunk] thunks to decode; none: this tool's own, as mapped." };

        var show = new Command("show", "Save this thread's live state, print it, restore it.") { json };
        show.SetAction(result => Show(output, style, result.GetValue(json)));
        var read = new Command("read", "Print a saved area, an XSAVE image, a Linux core file or a minidump, told by content (also gzip/zstd/xz/lz4/bzip2-compressed).") { file, json };
        read.SetAction(result => Read(result.GetValue(file)!, output, style, result.GetValue(json)));
        var save = new Command("save", "Write this thread's live state to FILE.") { saveFile };
        save.SetAction(result => Save(result.GetValue(saveFile)!, output));
        var process = new Command("pid", "Print every thread of a running process, each stopped briefly (read-only).") { pid, json };
        process.SetAction(result => ReadProcess(result.GetValue(pid), output, style, result.GetValue(json)));
        var interval = new Option<int>("--interval") { Description = "Milliseconds between samples (at least 10).", DefaultValueFactory = _ => 100 };
        interval.Validators.Add(result => { if (result.GetValueOrDefault<int>() < 10) { result.AddError("--interval is at least 10 (ms)."); } });
        var seconds = new Option<double?>("--seconds") { Description = "Stop after this many seconds (default: until Ctrl+C)." };
        var watch = new Command("watch", "Print a line for each change of any thread's MXCSR or FCW in a running process, until stopped.") { pid, interval, seconds, json };
        watch.SetAction(result => Watch.Run(result.GetValue(pid), result.GetValue(interval), result.GetValue(seconds), output, result.GetValue(json)));
        var thunks = new Command("thunks", "Decode the thunks' machine code from its bytes and check it against the stored listing.") { assembly };
        thunks.SetAction(result => result.GetValue(assembly) is { } path ? AssemblyThunks(path, output, style) : Thunks(output, style));
        var help = new Command("help", "This text.");
        help.SetAction(_ => WriteHelp(output));

        var root = new RootCommand("xsave - inspect the x86 extended CPU state") { show, read, save, process, watch, thunks, help };
        root.HelpName = "xsave"; // the tool's command name, whatever process hosts it
        root.SetAction(_ => WriteHelp(output));
        foreach (Option option in root.Options)
        {
            if (option is System.CommandLine.Help.HelpOption helpOption)
            {
                // The tool's own page at the top; each command's generated one below it.
                helpOption.Action = new HelpText(helpOption.Action!, root, output);
            }
            else if (option is VersionOption version)
            {
                // This assembly's version, not the host process's (the tests run the tool in theirs).
                version.Action = new VersionText(output);
            }
        }

        var usages = new Dictionary<string, string>
        {
            ["show"] = "xsave show [--json]",
            ["read"] = "xsave read FILE [--json]",
            ["save"] = "xsave save FILE",
            ["pid"] = "xsave pid PID [--json]",
            ["watch"] = "xsave watch PID [--interval MS] [--seconds S] [--json]",
            ["thunks"] = "xsave thunks [ASSEMBLY.dll]",
            ["help"] = "xsave help",
        };
        return (root, usages);
    }

    private static int Refuse(System.CommandLine.Parsing.ArgumentResult result, string error)
    {
        result.AddError(error);
        return 0;
    }

    private static int WriteHelp(TextWriter output)
    {
        output.Write(Help);
        output.WriteLine();
        return 0;
    }

    private sealed class VersionText(TextWriter output) : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            output.WriteLine(typeof(Cli).Assembly.GetName().Version?.ToString(3));
            return 0;
        }
    }

    // --help: the page above for the tool itself, System.CommandLine's own for a command.
    private sealed class HelpText(System.CommandLine.Invocation.CommandLineAction generated, RootCommand root, TextWriter output) : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult) => parseResult.CommandResult.Command == root
            ? WriteHelp(output)
            : ((System.CommandLine.Invocation.SynchronousCommandLineAction)generated).Invoke(parseResult);
    }

    private static int Usage(TextWriter errors, bool json, string problem, string? usage) =>
        Fail(errors, json, usage is null ? $"{problem} Run 'xsave help'." : $"{problem} usage: {usage}", 2);

    // Errors go to stderr: plain text, or with --json one JSON object, so scripts never parse prose.
    private static int Fail(TextWriter errors, bool json, string message, int exitCode)
    {
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Encoder = JsonReport.Encoder }))
            {
                writer.WriteStartObject();
                writer.WriteString("error", message);
                writer.WriteNumber("exitCode", exitCode);
                writer.WriteEndObject();
            }

            errors.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            errors.WriteLine($"xsave: {message}");
        }

        return exitCode;
    }

    private static int Show(TextWriter output, Style style, bool json)
    {
        if (!XSaveArea.IsSupported)
        {
            throw new PlatformNotSupportedException("XSAVE cannot run here (not x86-64, or not enabled by the OS); 'xsave read FILE' works anywhere.");
        }

        XSaveArea area = default;
        area.Save();
        area.Load(); // nothing the tool does changes the state; restoring proves the area is valid
        Render(output, style, json, Report.Of(area, "live", XSaveArea.EnabledFeatures, image: null));
        return 0;
    }

    // What FILE is, by its content: an ELF core, a minidump or an XSAVE image; a refusal names the file and that.
    private static int Read(string path, TextWriter output, Style style, bool json)
    {
        using DumpInput input = DumpInput.Open(path);
        try
        {
            if (input.Format == DumpFormat.ElfCore)
            {
                // A core is read by its headers and notes alone (it can be tens of gigabytes).
                var reports = new List<Report>();
                foreach (LinuxCoreFile.ThreadState thread in LinuxCoreFile.ReadThreads(input.Stream))
                {
                    var facts = new ThreadFacts(thread.ThreadId, thread.Signal) { Notes = CoreNotes(thread.State) };
                    reports.Add(Report.Of(thread.State.Area, $"{path}, thread {thread.ThreadId}", thread.State.Xcr0, thread.State, facts));
                }

                DescribeThreads(output, style, json, [("source", path), ("format", "ELF core"), ("arch", "x64"), ("compression", input.Compression.ToString())], reports);
                return 0;
            }

            if (input.Format == DumpFormat.Minidump)
            {
                // A minidump is read by its directory, streams and contexts alone (a full one holds the process's memory).
                Minidump dump = MinidumpFile.Read(input.Stream);
                var reports = dump.Threads.Select(thread => MinidumpReport.Of(path, dump, thread)).ToList();
                DescribeThreads(output, style, json, [("source", path), ("format", "minidump"), ("arch", dump.ArchitectureName), ("compression", input.Compression.ToString())], reports);
                return 0;
            }

            byte[] bytes = input.ReadAll(XSaveImage.LargestImage);
            if (bytes.Length == 0)
            {
                throw new IOException($"'{path}' is empty; an XSAVE image is at least 512 bytes.");
            }

            XSaveImage image = XSaveImage.Parse(bytes);
            // FXRSTOR and XRSTOR refuse an MXCSR with bits outside MXCSR_MASK (at most 0xFFFF), so
            // no thread ever held one and no save wrote these bytes: not a state to show.
            if ((uint)image.Area.Legacy.Mxcsr > 0xFFFF)
            {
                throw new InvalidXSaveImageException("MXCSR", $"MXCSR at byte 24 reads 0x{(uint)image.Area.Legacy.Mxcsr:X8}: bits 16–31 are reserved on every CPU, so no XSAVE or FXSAVE wrote these bytes.");
            }

            Describe(output, style, json, image, path);
            return 0;
        }
        catch (InvalidXSaveImageException e)
        {
            throw new InvalidXSaveImageException(e.Field, $"{path} ({input.Kind}): {e.Message}");
        }
        catch (IOException e) when (!e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new IOException($"{path} ({input.Kind}): {e.Message}", e);
        }
    }

    // A core without the kernel's layout note (gdb's gcore writes none) is read in the offsets its
    // XCR0 and size imply; gdb 13 rebuilds AVX-512 state in Intel's offsets even on AMD CPUs.
    private static List<ReportItem> CoreNotes(XSaveImage state) =>
        state.LayoutSource is LayoutSource.KernelNote or LayoutSource.LegacyRegionOnly || ((state.Xcr0 ?? XFeatures.None) & (XFeatures.Avx512Opmask | XFeatures.Avx512ZmmHi256 | XFeatures.Avx512Hi16Zmm)) == 0
            ? []
            : [new("caution", "no layout note in this core (gdb's gcore writes none): AVX-512 is shown in the offsets its XCR0 and size imply; gdb 13 rebuilds it in Intel's offsets even on AMD CPUs, where its values come out wrong (docs/layouts.md)", "layoutCaution", true)];

    // Every thread of the process that exists while it is read: one that ends meanwhile is named
    // and skipped, and every thread stopped is let go (TracedThread.Dispose) whatever happens.
    private static int ReadProcess(int pid, TextWriter output, Style style, bool json)
    {
        if (pid == Environment.ProcessId)
        {
            throw new IOException($"Process {pid} is this one: 'xsave pid' stops another process's threads to read them; 'xsave show' shows this thread.");
        }

        ThrowIfZombie(pid);
        var reports = new List<Report>();
        var gone = new List<object>();
        foreach (int thread in ProcessThreads.Of(pid))
        {
            try
            {
                XSaveImage state;
                using (TracedThread traced = TracedThread.Attach(thread)) // stopped only while it is read
                {
                    state = traced.ReadState();
                }

                reports.Add(Report.Of(state.Area, $"process {pid}, thread {thread}", state.Xcr0, state, new ThreadFacts(thread, 0)));
            }
            catch (ThreadTracingException e) when (ProcessThreads.HasEnded(pid, thread, e))
            {
                gone.Add(new Dictionary<string, object> { ["id"] = (double)thread, ["reason"] = "ended while being read" });
            }
        }

        if (reports.Count == 0)
        {
            throw new IOException($"Every thread of process {pid} ended before it could be read.");
        }

        DescribeThreads(output, style, json, [("source", $"process {pid}"), ("ended", gone)], reports);
        if (!json && gone.Count > 0)
        {
            output.WriteLine($"{gone.Count} thread(s) ended while being read: {string.Join(", ", gone.Select(g => ((Dictionary<string, object>)g)["id"]))}.");
        }

        return 0;
    }

    private static void ThrowIfZombie(int pid)
    {
        string status = $"/proc/{pid}/status";
        if (OperatingSystem.IsLinux() && File.Exists(status)
            && File.ReadLines(status).FirstOrDefault(l => l.StartsWith("State:", StringComparison.Ordinal)) is { } state && state.Contains('Z'))
        {
            throw new IOException($"Process {pid} is a zombie: it has exited, holds no thread state, and waits for its parent to reap it.");
        }
    }

    private static void DescribeThreads(TextWriter output, Style style, bool json, IReadOnlyList<(string Name, object Value)> facts, List<Report> threads)
    {
        if (json)
        {
            JsonReport.WriteThreads(output, facts, threads);
            return;
        }

        foreach (Report thread in threads)
        {
            TextReport.Write(output, style, thread);
            output.WriteLine();
        }
    }

    private static void Describe(TextWriter output, Style style, bool json, XSaveImage image, string source)
    {
        Render(output, style, json, Report.Of(image.Area, source, image.Xcr0, image));
        if (!json)
        {
            output.WriteLine();
        }
    }

    private static void Render(TextWriter output, Style style, bool json, Report report)
    {
        if (json)
        {
            JsonReport.Write(output, report);
        }
        else
        {
            TextReport.Write(output, style, report);
        }
    }

    private static int Save(string path, TextWriter output)
    {
        XSaveArea area = default;
        area.Save();
        File.WriteAllBytes(path, area.ToArray());
        output.WriteLine($"Saved this thread's state to {path} ({XSaveArea.Size} bytes, layout recorded).");
        return 0;
    }

    // Each mapping's bytes, decoded where they are mapped, checked against the listing recorded with them.
    private static unsafe int Thunks(TextWriter output, Style style)
    {
        _ = XSaveArea.EnabledFeatures; // the first thunk call maps the runtime's page
        int differences = 0;
        foreach (ExecutableMapping mapping in ExecutableMemory.Mappings)
        {
            output.WriteLine(style.Heading($"{mapping.Owner} at 0x{mapping.Address:X}, {mapping.Length} bytes, read+execute"));
            if (mapping.Listing.Length == 0)
            {
                output.WriteLine("  (mapped without a listing: nothing says where its instructions start)");
                continue;
            }

            differences += ThunkDisassembly.Write(new ReadOnlySpan<byte>((void*)mapping.Address, mapping.Length), mapping.Listing, output, style);
        }

        return ThrowIfDiffering(differences, "mapped bytes");
    }

    private static int ThrowIfDiffering(int differences, string bytes) => differences == 0
        ? 0
        : throw new InvalidDataException($"{differences} line(s) of the stored listing differ from the {bytes} (each marked above with the line the listing stores).");

    /// <summary>
    /// The thunks an application assembly carries, read from the metadata (nothing is loaded or
    /// run, so any assembly on any CPU): the bytes of its generated page for this OS's calling
    /// convention, decoded, checked against the listing the page keeps as a constant.
    /// </summary>
    private static int AssemblyThunks(string path, TextWriter output, Style style)
    {
        if (!File.Exists(path))
        {
            throw new IOException($"'{path}' does not exist.");
        }

        using FileStream stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        bool hasMetadata;
        try
        {
            hasMetadata = pe.HasMetadata;
        }
        catch (BadImageFormatException)
        {
            hasMetadata = false; // not a PE file at all
        }

        if (!hasMetadata)
        {
            throw new BadImageFormatException($"'{path}' is not a .NET assembly: 'xsave thunks' reads the [XSaveThunk] thunks an assembly carries.");
        }

        MetadataReader metadata = pe.GetMetadataReader();
        string convention = OperatingSystem.IsWindows() ? "Windows" : "SystemV";
        foreach (TypeDefinitionHandle typeHandle in metadata.TypeDefinitions)
        {
            TypeDefinition type = metadata.GetTypeDefinition(typeHandle);
            string typeName = metadata.GetString(type.Name);
            if (typeName != "XSaveThunkPage" && !typeName.EndsWith("__XSaveThunkPage", StringComparison.Ordinal))
            {
                continue; // the generated page is file-local: its metadata name is decorated
            }

            string? listing = ConstantString(metadata, type, convention + "Listing");
            if (listing is null)
            {
                continue;
            }

            byte[] page = AssemblyPage.Read(pe, metadata, type, "get_" + convention)
                ?? throw new BadImageFormatException($"'{path}' keeps a thunk listing, but its page's bytes are not where the generator puts them (the {convention} property's static data).");
            string assembly = metadata.GetString(metadata.GetAssemblyDefinition().Name);
            output.WriteLine(style.Heading($"{assembly} ({path}): [XSaveThunk] thunks, {(OperatingSystem.IsWindows() ? "Windows" : "System V")} calling convention, {page.Length} bytes, decoded"));
            return ThrowIfDiffering(ThunkDisassembly.Write(page, listing, output, style), "assembly's bytes");
        }

        output.WriteLine($"{path} carries no [XSaveThunk] thunks.");
        return 0;
    }

    private static string? ConstantString(MetadataReader metadata, TypeDefinition type, string name)
    {
        foreach (FieldDefinitionHandle fieldHandle in type.GetFields())
        {
            FieldDefinition field = metadata.GetFieldDefinition(fieldHandle);
            if (metadata.GetString(field.Name) == name && !field.GetDefaultValue().IsNil)
            {
                BlobReader blob = metadata.GetBlobReader(metadata.GetConstant(field.GetDefaultValue()).Value);
                return blob.ReadUTF16(blob.Length);
            }
        }

        return null;
    }
}
