namespace XSave;

/// <summary>
/// Provides executable memory for thunk code: the hook for hosts with their own mapper (a kernel,
/// UEFI, a sandbox). Set it with <see cref="ExecutableMemory.Allocator"/> before the first thunk call.
/// </summary>
public interface IExecutableMemoryAllocator
{
    /// <summary>
    /// Returns the address of a copy of <paramref name="code"/> that the CPU can execute and that
    /// stays valid for the life of the process. The memory must never be writable and executable
    /// at the same time. Throw to refuse; the exception's message reaches the caller.
    /// </summary>
    /// <param name="code">The machine code (position-independent, a few hundred bytes per assembly).</param>
    /// <returns>The address of the first byte.</returns>
    nint MapExecutable(ReadOnlySpan<byte> code);
}
