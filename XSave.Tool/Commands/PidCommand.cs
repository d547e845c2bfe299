using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace XSave.Tool;

/// <summary>xsave pid PID: every thread of a running process, each stopped briefly (read-only).</summary>
internal static class PidCommand
{
    // Every thread of the process that exists while it is read: one that ends meanwhile is named
    // and skipped, and every thread stopped is let go (TracedThread.Dispose) whatever happens.
    public static int Run(int pid, TextWriter output, Style style, bool json)
    {
        if (pid == Environment.ProcessId)
        {
            throw new IOException($"Process {pid} is this one: 'xsave pid' stops another process's threads to read them; 'xsave show' shows this thread.");
        }

        ThrowIfZombie(pid);
        var reports = new List<Report>();
        var gone = new List<object>();
        foreach (int thread in ProcessThreads.Of(pid))
        {
            try
            {
                XSaveImage state;
                using (TracedThread traced = TracedThread.Attach(thread)) // stopped only while it is read
                {
                    state = traced.ReadState();
                }

                reports.Add(Report.Of(state.Area, $"process {pid}, thread {thread}", state.Xcr0, state, new ThreadFacts(thread, 0)));
            }
            catch (ThreadTracingException e) when (ProcessThreads.HasEnded(pid, thread, e))
            {
                gone.Add(new Dictionary<string, object> { ["id"] = (double)thread, ["reason"] = "ended while being read" });
            }
        }

        if (reports.Count == 0)
        {
            throw new IOException($"Every thread of process {pid} ended before it could be read.");
        }

        ReportOutput.DescribeThreads(output, style, json, [("source", $"process {pid}"), ("ended", gone)], reports);
        if (!json && gone.Count > 0)
        {
            output.WriteLine($"{gone.Count} thread(s) ended while being read: {string.Join(", ", gone.Select(g => ((Dictionary<string, object>)g)["id"]))}.");
        }

        return 0;
    }

    private static void ThrowIfZombie(int pid)
    {
        string status = $"/proc/{pid}/status";
        if (OperatingSystem.IsLinux() && File.Exists(status)
            && File.ReadLines(status).FirstOrDefault(l => l.StartsWith("State:", StringComparison.Ordinal)) is { } state && state.Contains('Z'))
        {
            throw new IOException($"Process {pid} is a zombie: it has exited, holds no thread state, and waits for its parent to reap it.");
        }
    }
}
