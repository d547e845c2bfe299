namespace XSave;

// VirtualAlloc/VirtualProtect from kernel32.
internal sealed unsafe partial class OperatingSystemAllocator
{
    private const uint MemCommit = 0x1000, MemReserve = 0x2000, MemRelease = 0x8000;
    private const uint PageReadWrite = 0x04, PageExecuteRead = 0x20;

    private static nint MapWindows(ReadOnlySpan<byte> code)
    {
        nuint length = PageRoundUp(code.Length);
        nint page = VirtualAlloc(0, length, MemCommit | MemReserve, PageReadWrite);
        if (page == 0)
        {
            throw new ExecutableMemoryUnavailableException($"VirtualAlloc of {length} read+write bytes for XSave thunks failed (error {Marshal.GetLastPInvokeError()}).");
        }

        code.CopyTo(new Span<byte>((void*)page, code.Length));
        if (VirtualProtect(page, length, PageExecuteRead, out _) == 0)
        {
            int error = Marshal.GetLastPInvokeError();
            VirtualFree(page, 0, MemRelease);
            throw new ExecutableMemoryUnavailableException($"VirtualProtect to execute+read for XSave thunks failed (error {error}): the OS refuses executable memory to this process.");
        }

        FlushInstructionCache(GetCurrentProcess(), page, length);
        return page;
    }

    [LibraryImport("kernel32", SetLastError = true)]
    private static partial nint VirtualAlloc(nint address, nuint size, uint allocationType, uint protect);

    [LibraryImport("kernel32", SetLastError = true)]
    private static partial int VirtualProtect(nint address, nuint size, uint newProtect, out uint oldProtect);

    [LibraryImport("kernel32", SetLastError = true)]
    private static partial int VirtualFree(nint address, nuint size, uint freeType);

    [LibraryImport("kernel32")]
    private static partial int FlushInstructionCache(nint process, nint address, nuint size);

    [LibraryImport("kernel32")]
    private static partial nint GetCurrentProcess();
}
