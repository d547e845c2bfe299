namespace XSave.Diagnostics;

/// <summary>
/// The executable files a running process has mapped — its program and the shared libraries or
/// DLLs it loaded: executable file mappings in /proc/PID/maps on Linux, a Toolhelp module snapshot
/// on Windows. What 'xsave watch' compares between samples, to name what a process loaded just
/// before a thread's control words changed.
/// </summary>
public static unsafe partial class ProcessModules
{
    /// <summary>The process's executable files, by path, ascending.</summary>
    /// <param name="pid">The process.</param>
    /// <returns>The paths; empty if the process is gone.</returns>
    /// <exception cref="PlatformNotSupportedException">This is neither Linux nor Windows.</exception>
    public static string[] Of(int pid)
    {
        string[] modules = OperatingSystem.IsLinux() ? FromMaps(pid)
            : OperatingSystem.IsWindows() ? FromToolhelp(pid)
            : throw new PlatformNotSupportedException("A process's modules are read from Linux's /proc or Windows' Toolhelp snapshots.");
        Array.Sort(modules, StringComparer.Ordinal);
        return modules;
    }

    // "address perms offset dev inode path": the path (which may hold spaces) follows the fifth field.
    private static string[] FromMaps(int pid)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/maps"))
            {
                string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 6 && fields[1].Length > 2 && fields[1][2] == 'x' && fields[5].StartsWith('/'))
                {
                    files.Add(fields[5].Trim());
                }
            }
        }
        catch (IOException)
        {
            return []; // gone
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }

        return [.. files];
    }


    [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
    private struct ModuleEntry // MODULEENTRY32W, tlhelp32.h
    {
        public int Size;
        public int ModuleId;
        public int ProcessId;
        public int GlobalUsage;
        public int ProcessUsage;
        public nint BaseAddress;
        public int BaseSize;
        public nint Module;
        public fixed char Name[256];
        public fixed char ExePath[260];
    }

    private static string[] FromToolhelp(int pid)
    {
        nint snapshot = Toolhelp.CreateSnapshot(Toolhelp.SnapModule, pid);
        if (snapshot == Toolhelp.InvalidHandle)
        {
            return []; // gone, or not ours to see
        }

        try
        {
            var modules = new List<string>();
            var entry = new ModuleEntry { Size = sizeof(ModuleEntry) };
            for (bool more = Module32FirstW(snapshot, &entry) != 0; more; more = Module32NextW(snapshot, &entry) != 0)
            {
                modules.Add(new string(entry.ExePath));
            }

            return [.. modules];
        }
        finally
        {
            Toolhelp.CloseHandle(snapshot);
        }
    }


    [LibraryImport("kernel32")]
    private static partial int Module32FirstW(nint snapshot, ModuleEntry* entry);

    [LibraryImport("kernel32")]
    private static partial int Module32NextW(nint snapshot, ModuleEntry* entry);
}
