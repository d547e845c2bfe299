namespace XSave.Diagnostics;

/// <summary>Windows' Toolhelp snapshots (tlhelp32.h), which list a process's threads and modules.</summary>
internal static partial class Toolhelp
{
    public const uint SnapThread = 0x4;          // TH32CS_SNAPTHREAD
    public const uint SnapModule = 0x8 | 0x10;   // TH32CS_SNAPMODULE | TH32CS_SNAPMODULE32
    public const nint InvalidHandle = -1;

    [LibraryImport("kernel32", EntryPoint = "CreateToolhelp32Snapshot", SetLastError = true)]
    public static partial nint CreateSnapshot(uint flags, int processId);

    [LibraryImport("kernel32")]
    public static partial int CloseHandle(nint handle);
}
