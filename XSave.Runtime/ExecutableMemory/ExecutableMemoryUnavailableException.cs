namespace XSave;

/// <summary>
/// Thrown by the first thunk call when no executable memory could be had: the OS refused it
/// (SELinux execmem, a hardened kernel) or the configured <see cref="ExecutableMemory.Allocator"/>
/// did. Nothing else is affected; the next call tries again.
/// </summary>
public sealed class ExecutableMemoryUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception with a message naming the cause.</summary>
    /// <param name="message">What was refused, and why.</param>
    public ExecutableMemoryUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the refusal that caused it.</summary>
    /// <param name="message">What was refused, and why.</param>
    /// <param name="inner">The allocator's own exception.</param>
    public ExecutableMemoryUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
