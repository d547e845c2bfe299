using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text.Json;
using XSave.Tool;

namespace XSave.Tests.Tool;

/// <summary>
/// 'xsave watch' on a child that changes its control words on a schedule (XSave.Stress
/// change-words): every change is a line, in order, for the thread that made it.
/// </summary>
public class WatchTests
{
    [Test]
    public void Watch_prints_each_change_of_a_threads_control_words_in_order_and_leaves_the_process_running()
    {
        using var child = Child.Start();
        var (exit, watched, errors) = Watch(child.Pid, "--interval", "20", "--seconds", "2.5");
        Assert.That(exit, Is.Zero, errors);
        Assert.That(File.ReadAllText(child.Log), Does.Contain("step 3"), "the child went through its schedule while watched");
        string[] changes = Changes(watched, child.Changer);
        Assert.That(changes, Has.Length.EqualTo(3), "three steps, three lines");
        Assert.Multiple(() =>
        {
            Assert.That(changes[0], Does.Contain("FTZ off -> on"));
            Assert.That(changes[1], Does.Contain("x87 rounding nearest -> up").And.Not.Contain("FTZ"));
            Assert.That(changes[2], Does.Contain("FTZ on -> off"));
            Assert.That(watched, Does.Contain($"thread {child.Changer} ").And.Contain("first sample"));
            Assert.That(watched.Split('\n').Count(l => l.Contains("changed", StringComparison.Ordinal)), Is.EqualTo(3), "no other thread 'changed' (MXCSR's exception flags are not changes)");
            Assert.That(watched, Does.Match(@"a thread was stopped for \d+ us per read"));
            Assert.That(File.ReadAllText($"/proc/{child.Pid}/stat"), Does.Match(@"\) [SR] "), "left running, not stopped");
            Assert.That(File.ReadAllLines($"/proc/{child.Pid}/status").Single(l => l.StartsWith("TracerPid:", StringComparison.Ordinal)), Does.EndWith("\t0"), "and untraced");
        });

        var (jsonExit, json, _) = Watch(child.Pid, "--seconds", "0.3", "--json");
        Assert.That(jsonExit, Is.Zero);
        JsonElement first = JsonDocument.Parse(json.Split('\n')[0]).RootElement;
        Assert.That(first.GetProperty("event").GetString(), Is.EqualTo("first sample"));
        Assert.That(first.GetProperty("new").GetProperty("fcw").GetString(), Does.StartWith("0x"));
    }

    [Test]
    public void Watch_names_the_library_loaded_just_before_a_change()
    {
        // A native library whose initialiser sets the x87 rounding up: what a plug-in or driver does.
        string directory = Directory.CreateTempSubdirectory("xsave-watch-").FullName;
        string source = Path.Combine(directory, "changefcw.c"), library = Path.Combine(directory, "libchangefcw.so");
        File.WriteAllText(source, """
            __attribute__((constructor)) static void round_up(void)
            {
                unsigned short fcw;
                __asm__ volatile("fnstcw %0" : "=m"(fcw));
                fcw = (unsigned short)((fcw & ~0x0C00) | 0x0800);
                __asm__ volatile("fldcw %0" :: "m"(fcw));
            }
            """);
        try
        {
            RequireLinuxX64();
            using (Process? gcc = StartOrNull("gcc", "-shared", "-fPIC", "-o", library, source))
            {
                if (gcc is null)
                {
                    Assert.Ignore("Needs gcc to build the library (CI installs it).");
                }

                gcc.WaitForExit();
                Assert.That(gcc.ExitCode, Is.Zero, "gcc built the library");
            }

            using var child = Child.Start("--library", library, "--step-ms", "600");
            var (exit, watched, errors) = Watch(child.Pid, "--interval", "20", "--seconds", "2.5");
            Assert.That(exit, Is.Zero, errors);
            string[] changes = Changes(watched, child.Changer);
            Assert.That(changes, Has.Length.EqualTo(3));
            Assert.Multiple(() =>
            {
                Assert.That(watched, Does.Contain($"loaded        {library}"), "the load, as an event of its own");
                Assert.That(changes[1], Does.Contain("x87 rounding nearest -> up").And.Contain("loaded just before: libchangefcw.so"));
                Assert.That(changes[0], Does.Not.Contain("libchangefcw"));
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void Watch_of_no_such_process_says_so()
    {
        var errors = new StringWriter();
        int exit = Cli.Run(["watch", "2147483646", "--seconds", "0.1"], new StringWriter(), errors, Style.Plain);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(errors.ToString(), Does.Contain("2147483646"));
    }

    private static (int Exit, string Output, string Errors) Watch(int pid, params string[] options)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int exit = Cli.Run(["watch", pid.ToString(CultureInfo.InvariantCulture), .. options], output, errors, Style.Plain);
        TestContext.Out.WriteLine(output);
        if (exit == 1 && errors.ToString().Contains("EPERM", StringComparison.Ordinal))
        {
            Assert.Ignore($"Tracing is not permitted here: {errors}");
        }

        return (exit, output.ToString(), errors.ToString());
    }

    private static string[] Changes(string watched, string thread) =>
        watched.Split('\n').Where(l => l.Contains($"thread {thread} ", StringComparison.Ordinal) && l.Contains("changed", StringComparison.Ordinal)).ToArray();

    private static void RequireLinuxX64()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.Ignore("Watching another process's threads uses Linux's ptrace here on x86-64 (Windows: under Wine, in CI).");
        }
    }

    private static Process? StartOrNull(string program, params string[] arguments)
    {
        try
        {
            return Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false });
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>XSave.Stress change-words, an orphan through sh (not a Process child: .NET's SIGCHLD handling would take the ptrace stops, see TracedThread), killed on Dispose.</summary>
    private sealed class Child : IDisposable
    {
        public int Pid { get; private init; }

        public string Changer { get; private init; } = string.Empty;

        public string Log { get; private init; } = string.Empty;

        public static Child Start(params string[] options)
        {
            RequireLinuxX64();
            string log = Path.Combine(Path.GetTempPath(), $"change-words-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");
            string stress = Path.Combine(TestContext.CurrentContext.TestDirectory, "XSave.Stress.dll");
            string arguments = string.Join(" ", options.Select(o => $"'{o}'"));
            var launch = new ProcessStartInfo("sh", ["-c", $"dotnet '{stress}' change-words {arguments} > '{log}' 2>&1 < /dev/null & echo $!"]) { RedirectStandardOutput = true };
            using Process shell = Process.Start(launch)!;
            int pid = int.Parse(shell.StandardOutput.ReadToEnd(), CultureInfo.InvariantCulture);
            shell.WaitForExit();
            var child = new Child { Pid = pid, Log = log };
            try
            {
                string changer = WaitFor(log, "ready").Split('\n').Single(l => l.StartsWith("thread ", StringComparison.Ordinal))["thread ".Length..].Trim();
                return new Child { Pid = pid, Log = log, Changer = changer };
            }
            catch
            {
                child.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Process.Start("kill", ["-KILL", Pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            File.Delete(Log);
        }
    }

    private static string WaitFor(string file, string line)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            string text = File.Exists(file) ? File.ReadAllText(file) : string.Empty;
            if (text.Contains(line, StringComparison.Ordinal))
            {
                return text;
            }

            System.Threading.Thread.Sleep(20);
        }

        Assert.Fail($"the child never printed '{line}': {(File.Exists(file) ? File.ReadAllText(file) : "no output")}");
        return string.Empty;
    }
}
