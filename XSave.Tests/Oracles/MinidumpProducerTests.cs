using System.Collections.Generic;
using System.Diagnostics;
using System.IO;

namespace XSave.Tests.Oracles;

/// <summary>
/// Minidumps written by producers nobody here wrote: Windows' MiniDumpWriteDump as Wine's dbghelp
/// implements it, called by a mingw-w64 program (minidump.c) whose threads hold known XMM, MXCSR
/// and FCW values; .NET's own createdump.exe, which the runtime starts when a win-x64 process
/// fails fast under Wine; and lldb's minidump writer on a Linux process. Each must read as it
/// stored it, and Breakpad's minidump_dump must see the same threads.
/// </summary>
[NonParallelizable]
public class MinidumpProducerTests
{
    private static string Wine() =>
        new[] { "/usr/lib/wine/wine64", Which("wine64"), Which("wine") }.FirstOrDefault(p => p is not null && File.Exists(p))
        ?? throw new IgnoreException("Wine is not installed (Debian: wine64): MiniDumpWriteDump runs under it.");

    private static string? Which(string tool) => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
        .Select(directory => Path.Combine(directory, tool)).FirstOrDefault(File.Exists);

    private static (int Exit, string Output, string Errors) Run(string program, IDictionary<string, string>? environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using Process process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(180_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} did not end within 180 s");
        }

        return (process.ExitCode, output, errors.Result);
    }

    private static void RequireLinuxX64()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.Ignore("The producers run on an x86-64 Linux host (Wine, lldb).");
        }
    }

    // minidump.c built with mingw-w64 and run under Wine once: the dump and the thread ids it printed
    // (thread 1, thread 2, the faulting main thread).
    private static readonly Lazy<(string Path, uint[] Ids)> WineDump = new(() =>
    {
        string gcc = Which("x86_64-w64-mingw32-gcc") ?? throw new IgnoreException("mingw-w64 is not installed (Debian: gcc-mingw-w64-x86-64): it builds the program that dumps itself.");
        string wine = Wine();
        string directory = Directory.CreateTempSubdirectory("xsave-minidump-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);
        string program = Path.Combine(directory, "minidump.exe"), dumpPath = Path.Combine(directory, "self.dmp");
        var (built, _, buildErrors) = Run(gcc, null, "-O1", "-o", program, Path.Combine(Repository.Root, "XSave.Tests", "Oracles", "minidump.c"), "-ldbghelp");
        Assert.That(built, Is.Zero, buildErrors);
        var environment = new Dictionary<string, string> { ["WINEPREFIX"] = Path.Combine(directory, "prefix"), ["WINEDEBUG"] = "-all" };
        var (exit, output, errors) = Run(wine, environment, program, "Z:" + dumpPath.Replace('/', '\\'));
        Assert.That(exit, Is.Zero, $"minidump.exe under Wine: {errors}");
        return (dumpPath, output.Trim().Split(' ').Select(uint.Parse).ToArray());
    });

    [Test]
    public void Wines_MiniDumpWriteDump_reads_back_every_threads_values()
    {
        RequireLinuxX64();
        var (dumpPath, ids) = WineDump.Value;
        {
            Minidump dump = MinidumpFile.Read(dumpPath);
            Assert.Multiple(() =>
            {
                Assert.That(dump.ArchitectureName, Is.EqualTo("x64"));
                for (int k = 1; k <= 3; k++)
                {
                    MinidumpThread thread = k < 3
                        ? dump.Threads.Single(t => t.ThreadId == ids[k - 1])
                        : dump.Threads.Single(t => t.ThreadId == ids[2] && t.Source == MinidumpContextSource.Exception);
                    XSaveArea area = thread.State!.Area;
                    Assert.That((uint)area.Legacy.Mxcsr & ~0x3Fu, Is.EqualTo(k < 3 ? 0x1F80u | ((uint)k << 13) : 0x7F80u), $"thread {k} MXCSR");
                    Assert.That((ushort)area.Legacy.Fcw, Is.EqualTo(k < 3 ? (ushort)(0x027F | (k << 10)) : (ushort)0x0E7F), $"thread {k} FCW");
                    for (int i = 0; i < 6; i++)
                    {
                        byte[] xmm = new byte[16];
                        System.Runtime.InteropServices.MemoryMarshal.Write(xmm, area.Legacy.Xmm[i]);
                        Assert.That(xmm, Is.EqualTo(Enumerable.Range(0, 16).Select(j => (byte)((0x10 * k) + (0x20 * i) + j)).ToArray()), $"thread {k} XMM{i}");
                    }
                }

                MinidumpThread fault = dump.Threads.Single(t => t.Source == MinidumpContextSource.Exception);
                Assert.That(fault.ExceptionCode, Is.EqualTo(0xC0000005), "the access violation minidump.c raises");
                Assert.That(dump.Threads.Any(t => t.ThreadId == ids[2] && t.Source == MinidumpContextSource.ThreadList), "the faulting thread is in the thread list too");
            });
        }
    }

    [Test]
    public void DotNets_createdump_exe_under_Wine_reads_back_the_threads_held_values()
    {
        RequireLinuxX64();
        if (!XSaveArea.IsSupported)
        {
            Assert.Ignore("hold-state loads its values with XSaveArea.Load: needs XSAVE.");
        }

        string wine = Wine();
        string directory = Directory.CreateTempSubdirectory("xsave-createdump-").FullName;
        try
        {
            // XSave.Stress for win-x64, self-contained: createdump.exe comes with the runtime beside it.
            string stress = Path.Combine(directory, "stress");
            var (published, publishOutput, _) = Run("dotnet", null, "publish", Path.Combine(Repository.Root, "XSave.Tests", "Stress"), "-c", "Release", "-r", "win-x64", "--self-contained", "-o", stress, "-nologo", "-v", "q");
            Assert.That(published, Is.Zero, publishOutput);
            string dumpPath = Path.Combine(directory, "held.dmp");
            var environment = new Dictionary<string, string>
            {
                ["WINEPREFIX"] = Path.Combine(directory, "prefix"),
                ["WINEDEBUG"] = "-all",
                ["DOTNET_DbgEnableMiniDump"] = "1",
                ["DOTNET_DbgMiniDumpType"] = "1", // a minidump, no heap
                ["DOTNET_DbgMiniDumpName"] = "Z:" + dumpPath.Replace('/', '\\'),
            };
            var (_, output, errors) = Run(wine, environment, Path.Combine(stress, "XSave.Stress.exe"), "hold-state", "--threads", "2", "--fail-fast", "1");
            uint[] held = output.Split('\n').Where(l => l.StartsWith("thread ", StringComparison.Ordinal)).Select(l => uint.Parse(l[7..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.That(File.Exists(dumpPath), $"createdump wrote no dump: {output} {errors}");
            Assert.That(held, Has.Length.EqualTo(2), output);

            Minidump dump = MinidumpFile.Read(dumpPath);
            Assert.Multiple(() =>
            {
                foreach (uint id in held)
                {
                    MinidumpThread thread = dump.Threads.Single(t => t.ThreadId == id && t.Source == MinidumpContextSource.ThreadList);
                    Assert.That((uint)thread.State!.Area.Legacy.Mxcsr & ~0x3Fu, Is.EqualTo(0x5F80u), $"thread {id} MXCSR, as hold-state loads it");
                    Assert.That((ushort)thread.State.Area.Legacy.Fcw, Is.EqualTo((ushort)0x0A7F), $"thread {id} FCW");
                }

                Assert.That(dump.Threads.Count(t => t.Source == MinidumpContextSource.ThreadList), Is.GreaterThan(held.Length), "the runtime's own threads too");
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void Breakpads_minidump_dump_reads_the_same_threads_flags_and_MXCSR()
    {
        RequireLinuxX64();
        string reader = Environment.GetEnvironmentVariable("XSAVE_MINIDUMP_DUMP") is { Length: > 0 } given ? given
            : Which("minidump_dump") ?? throw new IgnoreException("Breakpad's minidump_dump is not here (npm install minidump --ignore-scripts ships it; CI sets XSAVE_MINIDUMP_DUMP).");
        var builder = new MinidumpBuilder();
        builder.Threads.Add((0x51, MinidumpBuilder.X64Context(0x10000B, MinidumpBuilder.Legacy(0x037F, 0x1F80, 0), contextMxcsr: 0)));
        builder.Threads.Add((0x52, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x027F, 0x5F80, 0), 0x5F80)));
        builder.Exception = (0x52, 0xC0000094, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x027F, 0x7F80, 0), 0x7F80));
        string built = Path.Combine(Directory.CreateTempSubdirectory("xsave-breakpad-").FullName, "built.dmp");
        File.WriteAllBytes(built, builder.Build());
        var dumps = new List<string> { built };
        try
        {
            dumps.Add(WineDump.Value.Path);
        }
        catch (IgnoreException skipped)
        {
            TestContext.Out.WriteLine($"Only the built dump: {skipped.Message}");
        }

        try
        {
            foreach (string path in dumps)
            {
                // minidump_dump exits 1 for a dump without a module or memory list, and still prints the rest.
                var (_, output, errors) = Run(reader, null, path);
                List<(string Kind, Dictionary<string, ulong> Fields)> blocks = BreakpadBlocks(output);
                Assert.That(blocks, Is.Not.Empty, $"minidump_dump {path}: {errors}");
                Minidump dump = MinidumpFile.Read(path);
                var expected = dump.Threads.Select(t => (t.Source == MinidumpContextSource.Exception ? "MDException" : "MDRawThread", (ulong)t.ThreadId, (ulong)t.ContextFlags, (ulong)t.ContextMxcsr!.Value));
                var breakpad = blocks.Select(b => (b.Kind, b.Fields["thread_id"], b.Fields["context_flags"], b.Fields["mx_csr"]));
                Assert.That(breakpad, Is.EquivalentTo(expected), path);
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(built)!, recursive: true);
        }
    }

    // minidump_dump's MDRawThread and MDException blocks: "name = value" lines, hex or decimal.
    private static List<(string Kind, Dictionary<string, ulong> Fields)> BreakpadBlocks(string output)
    {
        var blocks = new List<(string, Dictionary<string, ulong>)>();
        Dictionary<string, ulong>? current = null;
        foreach (string line in output.Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed is "MDRawThread" or "MDException")
            {
                current = [];
                blocks.Add((trimmed, current));
                continue;
            }

            string[] parts = trimmed.Split('=', 2, StringSplitOptions.TrimEntries);
            if (current is null || parts.Length != 2 || parts[0] is not ("thread_id" or "context_flags" or "mx_csr") || current.ContainsKey(parts[0]))
            {
                // Another record ends the block; the thread's own context (MDRawContextAMD64) belongs to it.
                if (trimmed.StartsWith("MD", StringComparison.Ordinal) && !trimmed.StartsWith("MDRawContext", StringComparison.Ordinal))
                {
                    current = null;
                }

                continue;
            }

            string value = parts[1].Split(' ')[0];
            current[parts[0]] = value.StartsWith("0x", StringComparison.Ordinal) ? Convert.ToUInt64(value[2..], 16) : ulong.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        }

        return blocks;
    }

    [Test]
    public void Lldbs_minidump_of_a_Linux_process_is_refused_naming_the_general_registers_it_holds()
    {
        RequireLinuxX64();
        string lldb = Which("lldb-19") ?? Which("lldb") ?? throw new IgnoreException("lldb is not installed (Debian: lldb-19).");
        string directory = Directory.CreateTempSubdirectory("xsave-lldb-").FullName;
        using Process sleeper = Process.Start("sleep", "120");
        try
        {
            string dumpPath = Path.Combine(directory, "sleep.dmp");
            var (exit, output, errors) = Run(lldb, null, "-b", "-p", sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", $"process save-core --plugin-name=minidump {dumpPath}");
            if (!File.Exists(dumpPath))
            {
                Assert.Ignore($"lldb could not attach or write a minidump here (exit {exit}): {errors} {output}");
            }

            var e = Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(dumpPath));
            Assert.That(e!.Message, Does.Contain("holds no thread's floating-point state").And.Contain("general registers only"));
        }
        finally
        {
            sleeper.Kill();
            Directory.Delete(directory, recursive: true);
        }
    }
}
