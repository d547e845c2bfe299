namespace XSave.Diagnostics;

/// <summary>
/// Another thread's extended state, read and written the way a debugger does it. On Linux,
/// ptrace (<c>PTRACE_SEIZE</c>, <c>PTRACE_INTERRUPT</c>) stops the thread and
/// <c>PTRACE_GETREGSET</c>/<c>PTRACE_SETREGSET</c> with NT_X86_XSTATE move its state; only libc
/// is called. The kernel ties a tracee to the thread that attached: use an instance from that
/// thread only. Do not trace a process this one started with
/// <see cref="System.Diagnostics.Process"/>: .NET's own child reaping takes a ptrace stop for the
/// child's exit and then misses the real one (start it through a shell, <c>sh -c 'prog &amp;'</c>).
/// On Windows, <c>SuspendThread</c> stops it and <c>GetThreadContext</c>/<c>SetThreadContext</c>
/// with <c>CONTEXT_XSTATE</c> move its state; any thread of another process the caller may
/// debug, and any managed thread may use the instance. A thread of this process (never the
/// caller) only while it runs native code: a thread suspended in managed code, or holding a lock
/// the caller then needs (the C heap's, the runtime's), can stop the process, since a garbage
/// collection waits for every managed thread.
/// <see cref="Dispose"/> lets the thread run on (on Linux, a thread that was stopped by a signal
/// stays stopped until it gets SIGCONT).
/// </summary>
public sealed unsafe partial class TracedThread : IDisposable
{
    private readonly int _tracer = Environment.CurrentManagedThreadId;
    private XSaveImage? _state;
    private bool _detached;

    private TracedThread(int threadId) => ThreadId = threadId;

    /// <summary>The thread: its Linux task id (as in /proc/PID/task) or its Windows thread id.</summary>
    public int ThreadId { get; }

    /// <summary>Attaches to a thread and stops it: on Linux one of another process, on Windows any but the caller.</summary>
    /// <param name="threadId">The thread's task id (a process id names its main thread) or Windows thread id.</param>
    /// <returns>The stopped thread.</returns>
    /// <exception cref="ThreadTracingException">The thread does not exist, may not be traced by this process, or ended while being stopped.</exception>
    /// <exception cref="PlatformNotSupportedException">This is neither Linux nor Windows.</exception>
    public static TracedThread Attach(int threadId) =>
        OperatingSystem.IsWindows() ? AttachWindows(threadId)
        : OperatingSystem.IsLinux() ? AttachLinux(threadId)
        : throw new PlatformNotSupportedException("Tracing another thread uses Linux's ptrace or Windows's thread contexts.");

    /// <summary>
    /// Reads the thread's extended state: on Linux NT_X86_XSTATE (its XCR0 and layout come with
    /// it); on Windows the thread's context, laid out in this CPU's standard format, with the
    /// features Windows enables for contexts as <see cref="XSaveImage.Xcr0"/>.
    /// </summary>
    /// <returns>The state, as the kernel holds it.</returns>
    /// <exception cref="ThreadTracingException">The kernel refused (the thread is gone, or this is not x86).</exception>
    public XSaveImage ReadState()
    {
        ThrowIfNotUsable();
        _state = OperatingSystem.IsWindows() ? ReadWindowsContext() : ReadLinuxXState();
        return _state;
    }

    /// <summary>
    /// The thread's MXCSR and FCW alone, with the smallest read the OS has: Linux's
    /// PTRACE_GETFPREGS (the 512-byte legacy region) or Windows' GetThreadContext with
    /// CONTEXT_FLOATING_POINT only (FltSave), never the extended state.
    /// </summary>
    /// <returns>The two words.</returns>
    /// <exception cref="ThreadTracingException">The OS refused the read (the thread may have ended).</exception>
    public ControlWords ReadControlWords()
    {
        ThrowIfNotUsable();
        return OperatingSystem.IsWindows() ? ReadWindowsControlWords() : ReadLinuxControlWords();
    }

    /// <summary>
    /// Writes <paramref name="state"/> as the thread's extended state: converted to the thread's
    /// XCR0 and layout (as <see cref="ReadState"/> found them), checked as
    /// <see cref="XSaveArea.Load(RestoreHazards)"/> checks an area, then PTRACE_SETREGSET or
    /// SetThreadContext. The thread loads it when it runs again.
    /// </summary>
    /// <param name="state">The state, e.g. <see cref="ReadState"/>'s area changed through the setters.</param>
    /// <param name="allowed">Hazards the caller accepts for the thread (unmasked exceptions, key 0 locked); x87 registers in use are always accepted.</param>
    /// <exception cref="InvalidXSaveAreaException">The state breaks a restore rule; nothing was written.</exception>
    /// <exception cref="ArgumentException">The state uses components the thread's XCR0 does not enable; nothing was written.</exception>
    /// <exception cref="ThreadTracingException">The kernel refused the state; the thread's state is unchanged.</exception>
    public void WriteState(in XSaveArea state, RestoreHazards allowed = RestoreHazards.None)
    {
        ThrowIfNotUsable();
        XSaveImage current = _state ?? ReadState();
        XFeatures xcr0 = current.Xcr0!.Value;
        byte[] linuxXState = XSaveImage.Parse(state.ToArray()).ToLinuxXState(xcr0, current.Layout); // also refuses components XCR0 lacks
        XSaveArea judged = XSaveImage.Parse(linuxXState).Area;
        // A stopped thread may be anywhere inside a function, where values on the x87 stack are
        // its own business: the empty-stack rule holds only at calls and returns.
        RestoreValidation.ThrowIfInvalid(in judged, XSaveArea.SafeFeatures, xcr0, Processor.MxcsrMask, compactedSupported: false, current.Layout, allowed | RestoreHazards.X87RegistersInUse);
        if (OperatingSystem.IsWindows())
        {
            WriteWindowsContext(in judged, xcr0, current.Layout);
            _state = null;
        }
        else
        {
            WriteLinuxXState(linuxXState, current.Length);
        }
    }

    /// <summary>Lets the thread run on (Linux: detaches, with any signal the stop intercepted; Windows: resumes it).</summary>
    public void Dispose()
    {
        if (_detached)
        {
            return;
        }

        ThrowIfOtherThread();
        _detached = true;
        if (OperatingSystem.IsWindows())
        {
            ResumeWindows();
        }
        else
        {
            DetachLinux();
        }
    }

    private void ThrowIfNotUsable()
    {
        ObjectDisposedException.ThrowIf(_detached, this);
        ThrowIfOtherThread();
    }

    private void ThrowIfOtherThread()
    {
        if (OperatingSystem.IsLinux() && Environment.CurrentManagedThreadId != _tracer)
        {
            throw new InvalidOperationException($"Thread {ThreadId} is traced by the managed thread {_tracer}, which attached: the kernel accepts ptrace requests from that thread only.");
        }
    }
}
