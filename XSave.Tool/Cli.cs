using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace XSave.Tool;

/// <summary>Parses the command line and runs one subcommand. Exit codes: 0 done, 1 failed, 2 usage.</summary>
internal static class Cli
{
    public const string Help = """
        xsave - inspect the x86 extended CPU state (x87, SSE, AVX, AVX-512, PKRU, ...)

        usage (every command also takes --help):
          xsave show [--json]          save this thread's live state, print it, restore it
          xsave read FILE [--json]     print a saved area, an XSAVE image (NT_X86_XSTATE,
                                       FXSAVE, compacted, AMX-sized) or a Linux core file
                                       (also gzip/zstd/xz/lz4/bzip2-compressed; '-' is stdin)
          xsave save FILE              write this thread's live state to FILE (4096 bytes)
          xsave pid PID [--json]       print every thread of a running process, each stopped
                                       briefly (Linux: ptrace; Windows: SuspendThread and
                                       GetThreadContext; read-only)
          xsave thunks [ASSEMBLY.dll]  decode the machine code the generator assembled from its bytes
                                       (this tool's own as mapped, or an assembly's [XSaveThunk]
                                       thunks) and check it against the stored listing
          xsave help | --help | -h     this text
          xsave --version              the tool's version

        --json writes one JSON object for scripts. Colour is used only on a terminal (NO_COLOR
        turns it off). Reading files and assemblies works on any CPU; show, save and the tool's own
        thunks need x86-64.
        """;

    // Each command: the options it takes and how many arguments (FILE) it needs.
    private static readonly (string Name, string[] Options, int MinArguments, int MaxArguments, string Usage)[] Commands =
    [
        ("show", ["--json"], 0, 0, "xsave show [--json]"),
        ("read", ["--json"], 1, 1, "xsave read FILE [--json]"),
        ("save", [], 1, 1, "xsave save FILE"),
        ("pid", ["--json"], 1, 1, "xsave pid PID [--json]"),
        ("thunks", [], 0, 1, "xsave thunks [ASSEMBLY.dll]"),
    ];

    public static int Run(string[] args, TextWriter output, TextWriter errors, Style style)
    {
        bool json = Array.IndexOf(args, "--json") >= 0;
        string command = args.Length > 0 ? args[0] : "help";
        try
        {
            switch (command)
            {
                case "help" or "--help" or "-h" or "--version" when args.Length > 1:
                    return Usage(errors, json, $"'{command}' takes nothing after it.", null);
                case "help" or "--help" or "-h":
                    output.Write(Help);
                    output.WriteLine();
                    return 0;
                case "--version":
                    output.WriteLine(typeof(Cli).Assembly.GetName().Version?.ToString(3));
                    return 0;
            }

            int index = Array.FindIndex(Commands, c => c.Name == command);
            if (index < 0)
            {
                return Usage(errors, json, $"unknown command '{command}'.", null);
            }

            var (name, options, minArguments, maxArguments, usage) = Commands[index];
            string[] rest = args[1..];
            if (Array.IndexOf(rest, "--help") >= 0 || Array.IndexOf(rest, "-h") >= 0)
            {
                output.WriteLine($"usage: {usage}");
                return 0;
            }

            // "-" alone is an argument: standard input.
            static bool IsOption(string a) => a.StartsWith('-') && a != "-";
            string? unknown = Array.Find(rest, a => IsOption(a) && Array.IndexOf(options, a) < 0);
            if (unknown is not null)
            {
                return Usage(errors, json, $"'{name}' has no option '{unknown}'.", usage);
            }

            string[] files = Array.FindAll(rest, a => !IsOption(a));
            if (files.Length < minArguments || files.Length > maxArguments)
            {
                return Usage(errors, json, maxArguments == 0
                    ? $"'{name}' takes no arguments; got '{string.Join(' ', files)}'."
                    : files.Length == 0 ? $"'{name}' needs {(name == "pid" ? "a PID" : "a FILE")}." : $"'{name}' takes one {(name == "pid" ? "PID" : "FILE")}; got {files.Length}.", usage);
            }

            if (name == "pid" && !(int.TryParse(files[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid) && pid > 0))
            {
                return Usage(errors, json, $"'{files[0]}' is not a process id.", usage);
            }

            return name switch
            {
                "show" => Show(output, style, json),
                "read" => Read(files[0], output, style, json),
                "save" => Save(files[0], output),
                "pid" => ReadProcess(int.Parse(files[0], System.Globalization.CultureInfo.InvariantCulture), output, style, json),
                _ when files.Length == 1 => AssemblyThunks(files[0], output, style),
                _ => Thunks(output, style),
            };
        }
        catch (Exception e) when (e is PlatformNotSupportedException or InvalidXSaveImageException or InvalidXSaveAreaException or IOException or UnauthorizedAccessException or BadImageFormatException or ThreadTracingException or InvalidDataException)
        {
            return Fail(errors, json, e.Message, 1);
        }
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

    private const int LargestImage = 1 << 20; // far beyond any XSAVE image (AMX makes 11 KiB)

    private static int Read(string path, TextWriter output, Style style, bool json)
    {
        using CoreInput input = CoreInput.Open(path);
        if (input.IsElf)
        {
            // A core is read by its headers and notes alone (it can be tens of gigabytes).
            var reports = new List<Report>();
            foreach (LinuxCoreFile.ThreadState thread in LinuxCoreFile.ReadThreads(input.Stream))
            {
                reports.Add(Report.Of(thread.State.Area, $"{path}, thread {thread.ThreadId}", thread.State.Xcr0, thread.State, new ThreadFacts(thread.ThreadId, thread.Signal)));
            }

            DescribeThreads(output, style, json, [("source", path), ("compression", input.Compression.ToString())], reports);
            return 0;
        }

        byte[] bytes = input.ReadAll(LargestImage);
        if (bytes.Length == 0)
        {
            throw new IOException($"'{path}' is empty; an XSAVE image is at least 512 bytes.");
        }

        Describe(output, style, json, XSaveImage.Parse(bytes), path);
        return 0;
    }

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
