using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;

namespace XSave.Stress;

/// <summary>
/// Runs the cases in worker processes. A worker that dies is a crash: the case it announced last
/// is recorded (and saved to the corpus), and a new worker goes on from the next case.
/// </summary>
internal static class FuzzDriver
{
    public static int Run(Options options)
    {
        long cases = options.Number("cases", 10_000), seed = options.Number("seed", 1);
        bool raw = options.Number("raw", 0) != 0;
        string? corpus = options.Text("corpus");
        var outcomes = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var mismatches = new List<string>();
        var crashes = new List<string>();
        var watch = Stopwatch.StartNew();
        long next = 0;
        bool replayCorpus = true;
        long corpusCases = 0;

        while (next < cases)
        {
            var (lines, exitCode) = Worker(next, cases - next, seed, replayCorpus ? corpus : null, raw);
            replayCorpus = false;
            string? pending = null, pendingVerdict = null;
            foreach (string line in lines)
            {
                string[] parts = line.Split(' ', 3);
                if (parts[0] == "R")
                {
                    pending = parts[1];
                    pendingVerdict = parts.Length > 2 ? parts[2] : null;
                    continue;
                }

                if (parts.Length < 2)
                {
                    continue;
                }

                if (parts[0] == "PARSE")
                {
                    Count(outcomes, "image parse " + parts[2]);
                    continue;
                }

                if (parts[0] == "OK")
                {
                    Count(outcomes, "loaded and re-saved equal");
                }
                else if (parts[0] == "REJ")
                {
                    Count(outcomes, "rejected: " + parts[2]);
                }
                else if (parts[0] == "RAWOK")
                {
                    Count(outcomes, $"raw XRSTOR survived: {parts[2]}");
                }
                else
                {
                    mismatches.Add(line);
                }

                pending = null;
                if (IsCorpus(parts[1]))
                {
                    corpusCases++;
                }
                else
                {
                    next = long.Parse(parts[1], CultureInfo.InvariantCulture) + 1;
                }
            }

            if (exitCode == 0)
            {
                break;
            }

            // The worker died on the case it announced last; go on after it.
            if (raw && pendingVerdict is not null)
            {
                Count(outcomes, $"raw XRSTOR faulted: {pendingVerdict}");
            }
            else
            {
                crashes.Add($"case {pending ?? next.ToString(CultureInfo.InvariantCulture)}: exit code {exitCode}");
            }

            if (pending is null)
            {
                next++;
            }
            else if (!IsCorpus(pending))
            {
                next = long.Parse(pending, CultureInfo.InvariantCulture) + 1;
                if (corpus is not null && !raw)
                {
                    SaveCrash(corpus, seed, next - 1);
                }
            }
        }

        Console.WriteLine($"cases {next + corpusCases}");
        Console.WriteLine($"corpus-cases {corpusCases}");
        Console.WriteLine($"seconds {watch.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"crashes {crashes.Count}");
        Console.WriteLine($"mismatches {mismatches.Count}");
        foreach (var (outcome, count) in outcomes)
        {
            Console.WriteLine($"outcome {count} {outcome}");
        }

        foreach (string line in crashes.Concat(mismatches).Take(20))
        {
            Console.WriteLine($"detail {line}");
        }

        return crashes.Count == 0 && mismatches.Count == 0 ? 0 : 1;
    }

    private static bool IsCorpus(string id) => id.StartsWith("corpus:", StringComparison.Ordinal);

    private static void Count(SortedDictionary<string, long> outcomes, string key) =>
        outcomes[key] = outcomes.GetValueOrDefault(key) + 1;

    private static (List<string> Lines, int ExitCode) Worker(long start, long count, long seed, string? corpus, bool raw)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            info.ArgumentList.Add(typeof(FuzzDriver).Assembly.Location);
        }

        foreach (string argument in new[] { "fuzz-worker", "--start", Invariant(start), "--count", Invariant(count), "--seed", Invariant(seed) })
        {
            info.ArgumentList.Add(argument);
        }

        if (raw)
        {
            info.ArgumentList.Add("--raw");
            info.ArgumentList.Add("1");
        }

        if (corpus is not null)
        {
            info.ArgumentList.Add("--corpus");
            info.ArgumentList.Add(corpus);
        }

        using Process process = Process.Start(info)!;
        var lines = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        process.WaitForExit();
        return (lines, process.ExitCode);
    }

    private static void SaveCrash(string corpus, long seed, long index)
    {
        var context = FuzzContext.Create();
        XSaveArea area = default;
        Mutator.Build(seed, index, context.Seeds, context.Cpu, ref area);
        File.WriteAllBytes(Path.Combine(corpus, $"crash-seed{seed}-case{index}.bin"), area.AsReadOnlySpan().ToArray());
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
