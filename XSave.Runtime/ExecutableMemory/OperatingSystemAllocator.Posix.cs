namespace XSave;

// mmap/mprotect from the C library (POSIX; flag values differ by OS). The functions are looked up
// in the process's global symbols rather than through a DllImport of "libc": resolving that name
// probes several file names (on Debian "libc.so" is a linker script) and cost 2.8 ms under
// NativeAOT (docs/benchmarks.md), against a few microseconds for the lookup.
internal sealed unsafe partial class OperatingSystemAllocator
{
    private const int ProtRead = 0x1, ProtWrite = 0x2, ProtExec = 0x4;
    private const int MapPrivate = 0x02;

    // Looked up on the first mapping and kept: each lookup is a dlsym walk of the process's symbols.
    private static nint s_mmap, s_mprotect, s_munmap;

    private static nint MapPosix(ReadOnlySpan<byte> code)
    {
        if (System.Threading.Volatile.Read(ref s_munmap) == 0)
        {
            ResolveExports();
        }

        var mmap = (delegate* unmanaged<nint, nuint, int, int, int, nint, nint>)s_mmap;
        var mprotect = (delegate* unmanaged<nint, nuint, int, int>)s_mprotect;
        var munmap = (delegate* unmanaged<nint, nuint, int>)s_munmap;

        nuint length = PageRoundUp(code.Length);
        int anonymous = OperatingSystem.IsLinux() ? 0x20 : 0x1000; // MAP_ANONYMOUS: Linux 0x20, BSD/macOS 0x1000
        nint page = mmap(0, length, ProtRead | ProtWrite, MapPrivate | anonymous, -1, 0);
        if (page == -1)
        {
            throw new ExecutableMemoryUnavailableException($"mmap of {length} read+write bytes for XSave thunks failed ({Explain(Marshal.GetLastSystemError())}).");
        }

        code.CopyTo(new Span<byte>((void*)page, code.Length));
        if (mprotect(page, length, ProtRead | ProtExec) != 0)
        {
            int errno = Marshal.GetLastSystemError();
            munmap(page, length);
            throw new ExecutableMemoryUnavailableException($"mprotect to read+execute for XSave thunks failed ({Explain(errno)}).");
        }

        return page;
    }

    private static void ResolveExports()
    {
        nint process = NativeLibrary.GetMainProgramHandle();
        s_mmap = Export(process, "mmap");
        s_mprotect = Export(process, "mprotect");
        System.Threading.Volatile.Write(ref s_munmap, Export(process, "munmap")); // last: it marks the set complete
    }

    private static nint Export(nint process, string name) =>
        NativeLibrary.TryGetExport(process, name, out nint address)
            ? address
            : throw new ExecutableMemoryUnavailableException($"The C library's {name} was not found in this process; set ExecutableMemory.Allocator to the host's own mapper.");
}
