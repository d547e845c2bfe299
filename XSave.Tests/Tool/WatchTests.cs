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
        if (!OperatingSystem.IsLinux() || RuntimeInformationIsNotX64())
        {
            Assert.Ignore("Watching another process's threads uses Linux's ptrace here on x86-64 (Windows: under Wine, in CI).");
        }

        string log = Path.Combine(Path.GetTempPath(), $"change-words-{Environment.ProcessId}.txt");
        string stress = Path.Combine(TestContext.CurrentContext.TestDirectory, "XSave.Stress.dll");
        // An orphan through sh, not a Process child: .NET's SIGCHLD handling would take the ptrace stops (see TracedThread).
        var launch = new ProcessStartInfo("sh", ["-c", $"dotnet '{stress}' change-words --step-ms 400 > '{log}' 2>&1 < /dev/null & echo $!"]) { RedirectStandardOutput = true };
        int pid;
        using (Process shell = Process.Start(launch)!)
        {
            pid = int.Parse(shell.StandardOutput.ReadToEnd(), CultureInfo.InvariantCulture);
            shell.WaitForExit();
        }

        try
        {
            string changer = WaitFor(log, "ready").Split('\n').Single(l => l.StartsWith("thread ", StringComparison.Ordinal))["thread ".Length..].Trim();
            var output = new StringWriter();
            var errors = new StringWriter();
            int exit = Cli.Run(["watch", pid.ToString(CultureInfo.InvariantCulture), "--interval", "20", "--seconds", "2.5"], output, errors, Style.Plain);
            string watched = output.ToString();
            TestContext.Out.WriteLine(watched);
            if (exit == 1 && errors.ToString().Contains("EPERM", StringComparison.Ordinal))
            {
                Assert.Ignore($"Tracing is not permitted here: {errors}");
            }

            Assert.That(exit, Is.Zero, errors.ToString());
            Assert.That(File.ReadAllText(log), Does.Contain("step 3"), "the child went through its schedule while watched");
            string[] changes = watched.Split('\n').Where(l => l.Contains($"thread {changer} ", StringComparison.Ordinal) && l.Contains("changed", StringComparison.Ordinal)).ToArray();
            Assert.That(changes, Has.Length.EqualTo(3), "three steps, three lines");
            Assert.Multiple(() =>
            {
                Assert.That(changes[0], Does.Contain("FTZ off -> on"));
                Assert.That(changes[1], Does.Contain("x87 rounding nearest -> up").And.Not.Contain("FTZ"));
                Assert.That(changes[2], Does.Contain("FTZ on -> off"));
                Assert.That(watched, Does.Contain($"thread {changer} ").And.Contain("first sample"));
                Assert.That(watched.Split('\n').Count(l => l.Contains("changed", StringComparison.Ordinal)), Is.EqualTo(3), "no other thread 'changed' (MXCSR's exception flags are not changes)");
                Assert.That(watched, Does.Match(@"a thread was stopped for \d+ us per read"));
                Assert.That(File.ReadAllText($"/proc/{pid}/stat"), Does.Match(@"\) [SR] "), "left running, not stopped");
                Assert.That(File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("TracerPid:", StringComparison.Ordinal)), Does.EndWith("\t0"), "and untraced");
            });

            var json = new StringWriter();
            Assert.That(Cli.Run(["watch", pid.ToString(CultureInfo.InvariantCulture), "--seconds", "0.3", "--json"], json, errors, Style.Plain), Is.Zero);
            JsonElement first = JsonDocument.Parse(json.ToString().Split('\n')[0]).RootElement;
            Assert.That(first.GetProperty("event").GetString(), Is.EqualTo("first sample"));
            Assert.That(first.GetProperty("new").GetProperty("fcw").GetString(), Does.StartWith("0x"));
        }
        finally
        {
            Process.Start("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            File.Delete(log);
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

    private static bool RuntimeInformationIsNotX64() =>
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64;

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
