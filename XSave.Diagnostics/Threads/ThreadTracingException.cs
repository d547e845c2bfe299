namespace XSave.Diagnostics;

/// <summary>Stopping, reading or writing another thread failed (ptrace on Linux, thread contexts on Windows); the message names the operation, the thread and the reason.</summary>
public sealed class ThreadTracingException : Exception
{
    internal ThreadTracingException(string operation, int threadId, int errno)
        : base($"{operation} on thread {threadId} failed: {Name(errno)} ({Marshal.GetPInvokeErrorMessage(errno)}). {Explain(operation, threadId, errno)}".TrimEnd())
    {
        Operation = operation;
        ThreadId = threadId;
        ErrorNumber = errno;
    }

    internal ThreadTracingException(string operation, int threadId, string reason, int errorNumber = 0)
        : base($"{operation} on thread {threadId} failed: {reason}")
    {
        Operation = operation;
        ThreadId = threadId;
        ErrorNumber = errorNumber;
    }

    /// <summary>A failed Windows call, named with its Win32 error.</summary>
    internal static ThreadTracingException FromWin32(string operation, int threadId, int error) =>
        new(operation, threadId, $"Windows error {error} ({Marshal.GetPInvokeErrorMessage(error).TrimEnd()}). {ExplainWin32(operation, error)}".TrimEnd(), error);

    /// <summary>The ptrace request, wait or Windows call that failed, e.g. <c>PTRACE_SETREGSET</c> or <c>SetThreadContext</c>.</summary>
    public string Operation { get; }

    /// <summary>The thread (Linux task id, Windows thread id) it was aimed at.</summary>
    public int ThreadId { get; }

    /// <summary>The errno (Linux) or Win32 error (Windows) the call returned, or 0 when the failure was not a failed call.</summary>
    public int ErrorNumber { get; }

    private static string Name(int errno) => errno switch
    {
        1 => "EPERM",
        3 => "ESRCH",
        5 => "EIO",
        14 => "EFAULT",
        19 => "ENODEV",
        22 => "EINVAL",
        _ => $"errno {errno}",
    };

    private static string ExplainWin32(string operation, int error) => (operation, error) switch
    {
        ("OpenThread", 87) => "There is no such thread.",
        ("OpenThread", 5) => "This process may not debug that thread's process (another user's, or a protected process, without SeDebugPrivilege).",
        ("SetThreadContext", _) => "The thread's state is unchanged.",
        _ => string.Empty,
    };

    // EPERM from PTRACE_SEIZE has several causes; the thread's /proc entries and Yama's setting
    // (where that file exists) tell which.
    private static string WhyNotTraceable(int threadId)
    {
        try
        {
            if (System.IO.Directory.Exists($"/proc/self/task/{threadId}"))
            {
                return "It is a thread of this process, which ptrace cannot trace.";
            }

            string? tracer = System.Linq.Enumerable.FirstOrDefault(System.IO.File.ReadLines($"/proc/{threadId}/status"), l => l.StartsWith("TracerPid:", StringComparison.Ordinal))?[10..].Trim();
            if (tracer is not null and not "0")
            {
                return $"It is already traced, by process {tracer} (a debugger?).";
            }

            const string Scope = "/proc/sys/kernel/yama/ptrace_scope";
            string scope = System.IO.File.Exists(Scope) ? System.IO.File.ReadAllText(Scope).Trim() : "0";
            return scope switch
            {
                "1" => $"{Scope} is 1: only an ancestor may trace a process (or a process with CAP_SYS_PTRACE).",
                "2" => $"{Scope} is 2: only a process with CAP_SYS_PTRACE may trace.",
                "3" => $"{Scope} is 3: no process may trace.",
                _ => "This process may not trace it: it belongs to another user or is more privileged (trace it as its user, or with CAP_SYS_PTRACE).",
            };
        }
        catch (System.IO.IOException)
        {
            return "There is no such thread any more.";
        }
    }

    private static string Explain(string operation, int threadId, int errno) => (operation, errno) switch
    {
        ("PTRACE_SEIZE", 1) => WhyNotTraceable(threadId),
        ("PTRACE_SEIZE", 3) => "There is no such thread.",
        (_, 3) => "The thread is gone, or is not stopped under this tracer.",
        ("PTRACE_SETREGSET", 22) => "The kernel refused the image: XSTATE_BV names a component it does not enable, XCOMP_BV or a reserved header byte is not zero, or MXCSR sets a reserved bit. The thread's state is unchanged.",
        ("PTRACE_SETREGSET", 14) => "The image is not the size this kernel's NT_X86_XSTATE has (PTRACE_GETREGSET's). The thread's state is unchanged.",
        _ => string.Empty,
    };
}
