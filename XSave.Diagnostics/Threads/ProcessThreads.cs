namespace XSave.Diagnostics;

/// <summary>The threads of a running process: /proc/PID/task on Linux, a Toolhelp snapshot on Windows.</summary>
public static unsafe partial class ProcessThreads
{
    /// <summary>The process's thread ids, ascending.</summary>
    /// <exception cref="IOException">There is no such process.</exception>
    /// <exception cref="PlatformNotSupportedException">This is neither Linux nor Windows.</exception>
    public static int[] Of(int pid)
    {
        int[] threads = OperatingSystem.IsLinux() ? FromProc(pid)
            : OperatingSystem.IsWindows() ? FromToolhelp(pid)
            : throw new PlatformNotSupportedException("'xsave pid' reads another process's threads with Linux's ptrace or Windows's thread contexts.");
        if (threads.Length == 0)
        {
            throw new IOException($"There is no process {pid}.");
        }

        Array.Sort(threads);
        return threads;
    }

    /// <summary>
    /// True when <paramref name="failure"/> came from <paramref name="thread"/> having ended (it is
    /// no longer among the process's threads), not from a reason to report.
    /// </summary>
    public static bool HasEnded(int pid, int thread, ThreadTracingException failure) =>
        (failure.ErrorNumber == 3 /* ESRCH */ || failure.ErrorNumber == 87 /* ERROR_INVALID_PARAMETER */ || failure.Operation == "waitpid")
        && !IsThreadOf(pid, thread);

    // Still a running thread of the process: an exiting Linux thread stays listed for a moment
    // as a zombie ('Z') or dead ('X') task, which ptrace answers with ESRCH.
    private static bool IsThreadOf(int pid, int thread)
    {
        try
        {
            if (!OperatingSystem.IsLinux())
            {
                return Array.IndexOf(FromToolhelp(pid), thread) >= 0;
            }

            string stat = File.ReadAllText($"/proc/{pid}/task/{thread}/stat");
            int end = stat.LastIndexOf(')');
            return end > 0 && end + 2 < stat.Length && stat[end + 2] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int[] FromProc(int pid)
    {
        string tasks = $"/proc/{pid}/task";
        return Directory.Exists(tasks)
            ? Array.ConvertAll(Directory.GetDirectories(tasks), d => int.Parse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture))
            : [];
    }


    [StructLayout(LayoutKind.Sequential)]
    private struct ThreadEntry // THREADENTRY32, tlhelp32.h
    {
        public int Size;
        public int Usage;
        public int ThreadId;
        public int OwnerProcessId;
        public int BasePriority;
        public int DeltaPriority;
        public int Flags;
    }

    private static int[] FromToolhelp(int pid)
    {
        nint snapshot = Toolhelp.CreateSnapshot(Toolhelp.SnapThread, 0);
        if (snapshot == Toolhelp.InvalidHandle)
        {
            throw new IOException($"CreateToolhelp32Snapshot failed (Windows error {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            var threads = new List<int>();
            var entry = new ThreadEntry { Size = sizeof(ThreadEntry) };
            for (bool more = Thread32First(snapshot, &entry) != 0; more; more = Thread32Next(snapshot, &entry) != 0)
            {
                if (entry.OwnerProcessId == pid)
                {
                    threads.Add(entry.ThreadId);
                }
            }

            return [.. threads];
        }
        finally
        {
            Toolhelp.CloseHandle(snapshot);
        }
    }


    [LibraryImport("kernel32")]
    private static partial int Thread32First(nint snapshot, ThreadEntry* entry);

    [LibraryImport("kernel32")]
    private static partial int Thread32Next(nint snapshot, ThreadEntry* entry);

}
