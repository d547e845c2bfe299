using System;
using System.IO;

namespace XSave.Tool;

/// <summary>Parses the command line and runs one subcommand. Exit codes: 0 done, 1 failed, 2 usage.</summary>
internal static class Cli
{
    public const string Help = """
        xsave - inspect the x86 extended CPU state (x87, SSE, AVX, AVX-512, PKRU, ...)

        usage:
          xsave show [--json]          save this thread's live state, print it, restore it
          xsave read FILE [--json]     print a saved area, an XSAVE image (NT_X86_XSTATE,
                                       FXSAVE, compacted, AMX-sized) or a Linux core file
          xsave save FILE              write this thread's live state to FILE (4096 bytes)
          xsave thunks                 print the machine code the generator assembled, as mapped
          xsave help | --help | -h     this text
          xsave --version              the tool's version

        --json writes one JSON object for scripts. Colour is used only on a terminal (NO_COLOR
        turns it off). Reading files works on any CPU; show, save and thunks need x86-64.
        """;

    public static int Run(string[] args, TextWriter output, TextWriter errors, Style style)
    {
        string command = args.Length > 0 ? args[0] : "help";
        bool json = Array.IndexOf(args, "--json") >= 0;
        try
        {
            switch (command)
            {
                case "help" or "--help" or "-h":
                    output.Write(Help);
                    return 0;
                case "--version":
                    output.WriteLine(typeof(Cli).Assembly.GetName().Version?.ToString(3));
                    return 0;
                case "show":
                    return Show(output, style, json);
                case "read" when args.Length >= 2:
                    return Read(args[1], output, style, json);
                case "save" when args.Length >= 2:
                    return Save(args[1], output);
                case "thunks":
                    return Thunks(output, style);
                default:
                    errors.WriteLine($"xsave: unknown or incomplete command '{string.Join(' ', args)}'. Run 'xsave help'.");
                    return 2;
            }
        }
        catch (Exception e) when (e is PlatformNotSupportedException or InvalidXSaveImageException or InvalidXSaveAreaException or IOException or UnauthorizedAccessException)
        {
            errors.WriteLine($"xsave: {e.Message}");
            return 1;
        }
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

    private static int Read(string path, TextWriter output, Style style, bool json)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.AsSpan().StartsWith("\u007FELF"u8))
        {
            foreach (LinuxCoreFile.ThreadState thread in LinuxCoreFile.ReadThreads(bytes))
            {
                Describe(output, style, json, thread.State, $"{path}, thread {thread.ThreadId}");
            }

            return 0;
        }

        Describe(output, style, json, XSaveImage.Parse(bytes), path);
        return 0;
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

    private static int Thunks(TextWriter output, Style style)
    {
        _ = XSaveArea.EnabledFeatures; // the first thunk call maps the runtime's page
        foreach (ExecutableMapping mapping in ExecutableMemory.Mappings)
        {
            output.WriteLine(style.Heading($"{mapping.Owner} at 0x{mapping.Address:X}, {mapping.Length} bytes, read+execute"));
            output.Write(mapping.Listing);
        }

        return 0;
    }
}
