using System.Runtime.InteropServices;
using XSave;

namespace XSave.Tests.FreestandingProgram;

/// <summary>How a program on Linux or Windows maps the thunks (declared in Kernel.Thunks.cs).</summary>
internal static unsafe partial class Kernel
{
    /// <summary>Maps the thunks in this OS's convention (the freestanding form leaves that choice to its caller).</summary>
    public static XSaveStatus Install() => System.OperatingSystem.IsWindows()
        ? XSaveThunks.Install(XSaveCallingConvention.Windows, &AllocateWindows, &ProtectWindows)
        : XSaveThunks.Install(XSaveCallingConvention.SystemV, &Allocate, &Protect);

    // Writable, then executable: never both.
    private static byte* Allocate(nuint length)
    {
        byte* page = mmap(null, length, 3 /* read, write */, 0x22 /* private, anonymous */, -1, 0);
        return page == (byte*)-1 ? null : page;
    }

    private static bool Protect(byte* code, nuint length) => mprotect(code, length, 5 /* read, execute */) == 0;

    private static byte* AllocateWindows(nuint length) => VirtualAlloc(null, length, 0x3000 /* commit, reserve */, 0x04 /* PAGE_READWRITE */);

    private static bool ProtectWindows(byte* code, nuint length) => VirtualProtect(code, length, 0x20 /* PAGE_EXECUTE_READ */, out _) != 0;

    [DllImport("kernel32")]
    private static extern byte* VirtualAlloc(void* address, nuint size, uint allocationType, uint protection);

    [DllImport("kernel32")]
    private static extern int VirtualProtect(void* address, nuint size, uint protection, out uint previous);

    [DllImport("libc")]
    private static extern byte* mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [DllImport("libc")]
    private static extern int mprotect(void* address, nuint length, int protection);
}
