namespace XSave;

/// <summary>The default <see cref="IExecutableMemoryAllocator"/>: pages from the OS, read+write for the copy, then read+execute.</summary>
internal sealed partial class OperatingSystemAllocator : IExecutableMemoryAllocator
{
    public nint MapExecutable(ReadOnlySpan<byte> code)
    {
        if (OperatingSystem.IsWindows())
        {
            return MapWindows(code);
        }

        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            return MapPosix(code);
        }

        throw new ExecutableMemoryUnavailableException(
            "XSave has no executable-memory mapper for this operating system; set ExecutableMemory.Allocator to one of the host's.");
    }

    private static nuint PageRoundUp(int length) => (nuint)((length + 4095) & ~4095);

    private static string Explain(int errno) => errno switch
    {
        1 or 13 => $"errno {errno}, permission denied: the OS refuses executable memory to this process (SELinux execmem, a hardened kernel)",
        12 => "errno 12, out of memory or over the process's mapping limits",
        _ => $"errno {errno}",
    };
}
