using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;

namespace XSave.Tool;

/// <summary>
/// 'xsave watch PID': samples every thread's MXCSR and FCW on an interval and prints a line for
/// each change (thread, old, new, when), until stopped. Each sample stops each thread for one
/// read of its control words alone (<see cref="TracedThread.ReadControlWords"/>); MXCSR's
/// exception flags are left out of the comparison (arithmetic raises them all the time). The
/// libraries the process loaded are printed as they appear, and named beside a change seen in the
/// same sample or the next: a library's initialiser is the usual author of a changed control word.
/// </summary>
internal static class WatchCommand
{
    public static int Run(int pid, int intervalMilliseconds, double? seconds, TextWriter output, bool json)
    {
        if (pid == Environment.ProcessId)
        {
            throw new IOException($"Process {pid} is this one: 'xsave watch' stops another process's threads to read them.");
        }

        ProcessThreads.Of(pid); // no such process: said now, not after the first interval
        using var stop = new CancellationTokenSource();
        if (seconds is { } limit)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(limit));
        }

        // Ctrl+C ends the watch after the current sample: never while a thread is stopped (on
        // Windows a thread suspended by a process that exits stays suspended).
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            return Sample(pid, intervalMilliseconds, output, json, stop.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static int Sample(int pid, int intervalMilliseconds, TextWriter output, bool json, CancellationToken stop)
    {
        string how = OperatingSystem.IsWindows()
            ? "SuspendThread, GetThreadContext(CONTEXT_FLOATING_POINT), ResumeThread"
            : "PTRACE_SEIZE, PTRACE_GETFPREGS (the 512-byte legacy region alone), PTRACE_DETACH";
        if (!json)
        {
            output.WriteLine($"xsave watch: process {pid}, every thread's MXCSR and FCW every {intervalMilliseconds} ms; each thread stops for one read ({how}). Ctrl+C stops.");
            output.Flush();
        }

        var known = new Dictionary<int, ControlWords>();
        var modules = new HashSet<string>(ProcessModules.Of(pid), StringComparer.Ordinal);
        string[] previousLoads = [];
        var clock = Stopwatch.StartNew();
        var stops = new List<double>();
        int samples = 0;
        bool first = true;
        while (true)
        {
            int[] threads;
            try
            {
                threads = ProcessThreads.Of(pid);
            }
            catch (IOException)
            {
                Event(output, json, clock.Elapsed, pid, "process ended", null, null, string.Empty);
                break;
            }

            // The threads first, then the modules: a library is mapped before its initialiser
            // runs, so a change seen in a thread has its library in this module list or the last.
            var seen = new HashSet<int>();
            var events = new List<(int Thread, string What, ControlWords? Before, ControlWords? After)>();
            foreach (int thread in threads)
            {
                ControlWords words;
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using TracedThread traced = TracedThread.Attach(thread);
                    words = traced.ReadControlWords();
                }
                catch (ThreadTracingException e) when (ProcessThreads.HasEnded(pid, thread, e))
                {
                    continue; // ended between the listing and the read: said below, as any end
                }

                stops.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                seen.Add(thread);
                if (!known.TryGetValue(thread, out ControlWords before))
                {
                    events.Add((thread, first ? "first sample" : "new thread", null, words));
                }
                else if (before.MxcsrControl != words.MxcsrControl || before.X87ControlWord != words.X87ControlWord)
                {
                    events.Add((thread, "changed", before, words));
                }

                known[thread] = words;
            }

            string[] loaded = first ? [] : ProcessModules.Of(pid).Where(m => modules.Add(m)).ToArray();
            foreach (string module in loaded)
            {
                Event(output, json, clock.Elapsed, pid, "loaded", null, null, module);
            }

            string[] recent = [.. previousLoads, .. loaded];
            previousLoads = loaded;
            string suspects = recent.Length == 0 ? string.Empty : $"loaded just before: {string.Join(", ", recent.Select(Path.GetFileName))}";
            foreach (var (thread, what, before, after) in events)
            {
                Event(output, json, clock.Elapsed, thread, what, before, after, first ? string.Empty : suspects);
            }

            foreach (int ended in known.Keys.Where(t => !seen.Contains(t)).ToArray())
            {
                Event(output, json, clock.Elapsed, ended, "thread ended", known[ended], null, string.Empty);
                known.Remove(ended);
            }

            samples++;
            first = false;
            output.Flush();
            if (stop.WaitHandle.WaitOne(intervalMilliseconds))
            {
                break;
            }
        }

        if (!json)
        {
            double median = stops.Count == 0 ? 0 : stops.Order().ElementAt(stops.Count / 2);
            output.WriteLine($"xsave watch: {samples} samples over {clock.Elapsed.TotalSeconds:F1} s; a thread was stopped for {median:F0} us per read (median of {stops.Count}).");
        }

        return 0;
    }

    private static void Event(TextWriter output, bool json, TimeSpan when, int thread, string what, ControlWords? before, ControlWords? after, string note)
    {
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Encoder = JsonReport.Encoder }))
            {
                writer.WriteStartObject();
                writer.WriteNumber("seconds", Math.Round(when.TotalSeconds, 3));
                writer.WriteNumber("thread", thread);
                writer.WriteString("event", what);
                Words(writer, "old", before);
                Words(writer, "new", after);
                if (before is { } b && after is { } a)
                {
                    writer.WriteString("change", Change(b, a));
                }

                if (note.Length > 0)
                {
                    writer.WriteString(what == "loaded" ? "module" : "note", note);
                }

                writer.WriteEndObject();
            }

            output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return;
        }

        string words = (before, after) switch
        {
            ({ } b, { } a) => $"MXCSR 0x{(uint)b.MxcsrControl:X4} -> 0x{(uint)a.MxcsrControl:X4}  FCW 0x{(ushort)b.X87ControlWord:X4} -> 0x{(ushort)a.X87ControlWord:X4}  ({Change(b, a)})",
            (null, { } a) => $"MXCSR 0x{(uint)a.MxcsrControl:X4}  FCW 0x{(ushort)a.X87ControlWord:X4}  ({Describe(a)})",
            ({ } b, null) => $"last MXCSR 0x{(uint)b.MxcsrControl:X4}  FCW 0x{(ushort)b.X87ControlWord:X4}",
            _ => string.Empty,
        };
        string subject = what is "process ended" or "loaded" ? "process" : "thread";
        string tail = what == "loaded" ? note : note.Length > 0 ? $"{words}; {note}" : words;
        output.WriteLine($"+{when.TotalSeconds,7:F3}s  {subject} {thread,-7}  {what,-12}  {tail}".TrimEnd());
    }

    private static void Words(System.Text.Json.Utf8JsonWriter writer, string name, ControlWords? words)
    {
        if (words is { } w)
        {
            writer.WriteStartObject(name);
            writer.WriteString("mxcsr", $"0x{(uint)w.MxcsrControl:X4}");
            writer.WriteString("fcw", $"0x{(ushort)w.X87ControlWord:X4}");
            writer.WriteEndObject();
        }
    }

    // The fields a person reads, not the bits: MXCSR's rounding, FTZ, DAZ, unmasked exceptions; FCW's precision, rounding, unmasked exceptions.
    private static string Describe(ControlWords w) =>
        string.Join(", ", Fields(w).Select(f => $"{f.Name} {f.Value}"));

    private static string Change(ControlWords before, ControlWords after)
    {
        var old = Fields(before).ToDictionary(f => f.Name, f => f.Value);
        string[] changes = Fields(after).Where(f => old[f.Name] != f.Value).Select(f => $"{f.Name} {old[f.Name]} -> {f.Value}").ToArray();
        return changes.Length == 0 ? "reserved bits" : string.Join(", ", changes);
    }

    private static IEnumerable<(string Name, string Value)> Fields(ControlWords w)
    {
        uint mxcsr = (uint)w.Mxcsr;
        ushort fcw = (ushort)w.X87ControlWord;
        string[] rounding = ["nearest", "down", "up", "toward zero"];
        yield return ("SSE rounding", rounding[(mxcsr >> 13) & 3]);
        yield return ("FTZ", w.Mxcsr.HasFlag(Mxcsr.FlushToZero) ? "on" : "off");
        yield return ("DAZ", w.Mxcsr.HasFlag(Mxcsr.DenormalsAreZeros) ? "on" : "off");
        yield return ("SSE unmasked", Unmasked((mxcsr >> 7) & 0x3F));
        yield return ("x87 precision", ((fcw >> 8) & 3) switch { 0 => "single", 1 => "reserved", 2 => "double", _ => "extended" });
        yield return ("x87 rounding", rounding[(fcw >> 10) & 3]);
        yield return ("x87 unmasked", Unmasked(fcw & 0x3Fu));
    }

    private static string Unmasked(uint masks)
    {
        string[] names = ["IE", "DE", "ZE", "OE", "UE", "PE"];
        string[] open = Enumerable.Range(0, 6).Where(i => (masks & (1u << i)) == 0).Select(i => names[i]).ToArray();
        return open.Length == 0 ? "none" : string.Join("+", open);
    }
}
