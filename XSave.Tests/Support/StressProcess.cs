using System.Collections.Generic;
using System.Diagnostics;
using System.IO;

namespace XSave.Tests.Support;

/// <summary>Runs XSave.Stress (copied beside the tests) in a child process and reads its "key value" lines.</summary>
internal static class StressProcess
{
    public static (Dictionary<string, string> Values, List<string> Lines) Run(params string[] arguments)
    {
        var (_, output, errors) = RunToEnd(arguments);
        Assert.That(errors, Is.Empty, "XSave.Stress wrote to stderr");

        var values = new Dictionary<string, string>();
        var lines = new List<string>();
        foreach (string line in output.Split('\n', System.StringSplitOptions.RemoveEmptyEntries))
        {
            lines.Add(line);
            string[] parts = line.Split(' ', 2);
            if (parts.Length == 2)
            {
                values.TryAdd(parts[0], parts[1]);
            }
        }

        return (values, lines);
    }

    /// <summary>Runs XSave.Stress however it ends: its exit code, standard output and standard error.</summary>
    public static (int ExitCode, string Output, string Errors) RunToEnd(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "XSave.Stress.dll"));
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        TestContext.Out.WriteLine(output);
        return (process.ExitCode, output, errors);
    }
}
