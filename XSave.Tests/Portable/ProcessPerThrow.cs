using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using NUnit.Framework.Interfaces;

/// <summary>
/// Runs the tests in child processes, a new one after every test that ends by an exception, for
/// Wine: there, an exception that leaves a test method (Assert.Ignore, a failed assertion) through
/// NUnit's reflection call leaves the process broken, and a later test in it crashes or hangs
/// (docs/windows.md, "Under Wine"). Each child reports to a file, test by test; the parent reruns
/// what is left. A test during which a child ends or hangs is a failure, unless <see cref="WineDefects"/>
/// names it with the Wine defect that ends it.
/// </summary>
internal static class ProcessPerThrow
{
    private const string ResultsVariable = "XSAVE_TEST_RESULTS_FILE";
    private const string ExcludeVariable = "XSAVE_TEST_EXCLUDE_FILE";
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(240);

    /// <summary>The file this process, a child, reports to; null in the parent or a plain run.</summary>
    public static string? ResultsFile => Environment.GetEnvironmentVariable(ResultsVariable);

    /// <summary>The tests a child leaves out: those an earlier child finished.</summary>
    public static string[] Excluded => Environment.GetEnvironmentVariable(ExcludeVariable) is { } path ? File.ReadAllLines(path) : [];

    /// <summary>The parent: runs children until every test has a result, prints them, returns the exit code.</summary>
    public static int Run()
    {
        string directory = Directory.CreateTempSubdirectory("xsave-tests-").FullName;
        string results = Path.Combine(directory, "results");
        string excluded = Path.Combine(directory, "excluded");
        File.WriteAllText(excluded, string.Empty);
        var finished = new List<(string Status, string Name, string Message)>();
        int children = 0;
        while (true)
        {
            File.WriteAllText(results, string.Empty);
            children++;
            (bool exited, int code) = RunChild(results, excluded);
            string[] lines = File.ReadAllLines(results);
            string? running = null;
            bool complete = false;
            int before = finished.Count;
            foreach (string line in lines)
            {
                string[] fields = line.Split('\t');
                switch (fields[0])
                {
                    case "start": running = fields[1]; break;
                    case "end": complete = true; break;
                    default: finished.Add((fields[0], fields[1], fields.Length > 2 ? fields[2] : string.Empty)); running = null; break;
                }
            }

            if (complete)
            {
                break;
            }

            if (running != null)
            {
                string how = exited ? $"its process ended (exit code {code}) during this test" : $"its process hung (killed after {ChildTimeout.TotalSeconds:0} s) during this test";
                finished.Add(WineDefects.Known.TryGetValue(running, out string? defect)
                    ? ("Skipped", running, $"under Wine {how}: {defect}")
                    : ("Failed", running, $"under Wine {how}"));
            }
            else if (finished.Count == before)
            {
                finished.Add(("Failed", "(runner)", $"a child process made no progress (exit code {code}); the tests not reported did not run"));
                break;
            }

            File.WriteAllLines(excluded, finished.Select(f => f.Name));
        }

        Directory.Delete(directory, recursive: true);
        foreach (var (status, name, message) in finished.Where(f => f.Status != "Passed"))
        {
            Console.WriteLine($"  {status}: {name}: {message}");
        }

        int passed = finished.Count(f => f.Status == "Passed");
        int failed = finished.Count(f => f.Status == "Failed");
        Console.WriteLine($"({children} processes)");
        Console.WriteLine($"{passed} passed, {failed} failed, {finished.Count - passed - failed} skipped");
        return failed == 0 && passed > 0 ? 0 : 1;
    }

    private static (bool Exited, int Code) RunChild(string results, string excluded)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true };
        info.Environment[ResultsVariable] = results;
        info.Environment[ExcludeVariable] = excluded;
        using Process child = Process.Start(info)!;
        // What the tests print goes nowhere: the results file is the report.
        child.OutputDataReceived += (_, _) => { };
        child.BeginOutputReadLine();
        if (!child.WaitForExit(ChildTimeout))
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            return (false, -1);
        }

        return (true, child.ExitCode);
    }

    /// <summary>A child's report: each test as it starts and ends; after one that ended by an exception, the process ends.</summary>
    public sealed class ChildListener(string path) : ITestListener
    {
        private readonly StreamWriter _file = new(path, append: true) { AutoFlush = true };

        public void TestStarted(ITest test)
        {
            if (!test.IsSuite)
            {
                _file.WriteLine($"start\t{test.FullName}");
            }
        }

        public void TestFinished(ITestResult result)
        {
            if (result.Test.IsSuite)
            {
                // A fixture's OneTimeSetUp or OneTimeTearDown that threw: its tests are reported already.
                if (result.ResultState.Status != TestStatus.Passed && result.ResultState.Site is FailureSite.SetUp or FailureSite.TearDown)
                {
                    Environment.Exit(3);
                }

                return;
            }

            string message = (result.Message ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? string.Empty;
            TestStatus status = result.ResultState.Status;
            _file.WriteLine($"{(status == TestStatus.Passed ? "Passed" : status == TestStatus.Failed ? "Failed" : "Skipped")}\t{result.Test.FullName}\t{message.Replace('\t', ' ')}");
            // A test skipped before it ran (an attribute's verdict) threw nothing.
            if (status != TestStatus.Passed && result.ResultState.Site != FailureSite.Parent && result.Test.RunState == RunState.Runnable)
            {
                Environment.Exit(3);
            }
        }

        public void Complete() => _file.WriteLine("end");

        public void TestOutput(TestOutput output)
        {
        }

        public void SendMessage(TestMessage message)
        {
        }
    }
}
