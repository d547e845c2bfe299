using System;
using System.Runtime.InteropServices;

namespace XSave;

// mmap/mprotect from the C library (POSIX; flag values differ by OS).
internal sealed unsafe partial class OperatingSystemAllocator
{
    private const int ProtRead = 0x1, ProtWrite = 0x2, ProtExec = 0x4;
    private const int MapPrivate = 0x02;

    private static nint MapPosix(ReadOnlySpan<byte> code)
    {
        nuint length = PageRoundUp(code.Length);
        int anonymous = OperatingSystem.IsLinux() ? 0x20 : 0x1000; // MAP_ANONYMOUS: Linux 0x20, BSD/macOS 0x1000
        nint page = mmap(0, length, ProtRead | ProtWrite, MapPrivate | anonymous, -1, 0);
        if (page == -1)
        {
            throw new ExecutableMemoryUnavailableException($"mmap of {length} read+write bytes for XSave thunks failed ({Explain(Marshal.GetLastPInvokeError())}).");
        }

        code.CopyTo(new Span<byte>((void*)page, code.Length));
        if (mprotect(page, length, ProtRead | ProtExec) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            munmap(page, length);
            throw new ExecutableMemoryUnavailableException(
                $"mprotect to read+execute for XSave thunks failed ({Explain(errno)}).");
        }

        return page;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);
}
