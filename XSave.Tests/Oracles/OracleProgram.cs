using System.Diagnostics;
using System.IO;

namespace XSave.Tests.Oracles;

/// <summary>oracle.c, built once per test run with gcc, and a way to run programs with their output as bytes.</summary>
internal static class OracleProgram
{
    private static readonly Lazy<string> Binary = new(() =>
    {
        string source = Path.Combine(Repository.Root, "XSave.Tests", "Oracles", "oracle.c");
        string binary = Path.Combine(Path.GetTempPath(), $"xsave-oracle-{Environment.ProcessId}");
        var (exit, _, errors) = Run("gcc", [], "-O1", "-o", binary, source);
        Assert.That(exit, Is.Zero, $"gcc failed: {errors}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(binary);
        return binary;
    });

    /// <summary>The oracle's path, after checking this is a machine where it can run (ignoring the test otherwise).</summary>
    public static string Build()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("The oracles use gcc and ptrace on Linux.");
        }

        if (!System.Runtime.Intrinsics.X86.Avx.IsSupported)
        {
            Assert.Ignore("The oracle program loads YMM registers: needs AVX.");
        }

        return Binary.Value;
    }

    public static (int Exit, byte[] Output, string Errors) Run(string program, byte[] input, params string[] arguments)
    {
        using Process process = Process.Start(StartInfo(program, arguments))!;
        process.StandardInput.BaseStream.Write(input);
        process.StandardInput.Close();
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.ToArray(), errors);
    }

    public static ProcessStartInfo StartInfo(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>The oracle's register report ("name hex" lines) as name → bytes.</summary>
    public static System.Collections.Generic.Dictionary<string, byte[]> Registers(string report)
    {
        var registers = new System.Collections.Generic.Dictionary<string, byte[]>();
        foreach (string line in report.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(' ');
            if (parts.Length == 2)
            {
                registers[parts[0]] = Convert.FromHexString(parts[1]);
            }
        }

        return registers;
    }
}
