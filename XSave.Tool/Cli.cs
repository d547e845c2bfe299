using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;

namespace XSave.Tool;

/// <summary>The command line: each command's options wired to its class in Commands/, help, and errors. Exit codes: 0 done, 1 failed, 2 usage.</summary>
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
        show.SetAction(result => ShowCommand.Run(output, style, result.GetValue(json)));
        var read = new Command("read", "Print a saved area, an XSAVE image, a Linux core file or a minidump, told by content (also gzip/zstd/xz/lz4/bzip2-compressed).") { file, json };
        read.SetAction(result => ReadCommand.Run(result.GetValue(file)!, output, style, result.GetValue(json)));
        var save = new Command("save", "Write this thread's live state to FILE.") { saveFile };
        save.SetAction(result => SaveCommand.Run(result.GetValue(saveFile)!, output));
        var process = new Command("pid", "Print every thread of a running process, each stopped briefly (read-only).") { pid, json };
        process.SetAction(result => PidCommand.Run(result.GetValue(pid), output, style, result.GetValue(json)));
        var interval = new Option<int>("--interval") { Description = "Milliseconds between samples (at least 10).", DefaultValueFactory = _ => 100 };
        interval.Validators.Add(result => { if (result.GetValueOrDefault<int>() < 10) { result.AddError("--interval is at least 10 (ms)."); } });
        var seconds = new Option<double?>("--seconds") { Description = "Stop after this many seconds (default: until Ctrl+C)." };
        var watch = new Command("watch", "Print a line for each change of any thread's MXCSR or FCW in a running process, until stopped.") { pid, interval, seconds, json };
        watch.SetAction(result => WatchCommand.Run(result.GetValue(pid), result.GetValue(interval), result.GetValue(seconds), output, result.GetValue(json)));
        var thunks = new Command("thunks", "Decode the thunks' machine code from its bytes and check it against the stored listing.") { assembly };
        thunks.SetAction(result => result.GetValue(assembly) is { } path ? ThunksCommand.RunOnAssembly(path, output, style) : ThunksCommand.Run(output, style));
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
}
