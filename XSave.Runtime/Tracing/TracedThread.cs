using System;
using System.Runtime.InteropServices;

namespace XSave;

/// <summary>
/// Another thread's extended state, read and written the way a debugger does it on Linux:
/// ptrace (<c>PTRACE_SEIZE</c>, <c>PTRACE_INTERRUPT</c>) stops it, <c>PTRACE_GETREGSET</c> and
/// <c>PTRACE_SETREGSET</c> with NT_X86_XSTATE move its state, and <see cref="Dispose"/> lets it
/// run on (a thread that was stopped by a signal stays stopped until it gets SIGCONT). Only
/// libc is called. The kernel ties a tracee to the thread that attached: use an instance from
/// that thread only. Do not trace a process this one started with
/// <see cref="System.Diagnostics.Process"/>: .NET's own child reaping takes a ptrace stop for the
/// child's exit and then misses the real one (start it through a shell, <c>sh -c 'prog &amp;'</c>).
/// </summary>
public sealed unsafe class TracedThread : IDisposable
{
    private const int LargestImage = 1 << 20; // far beyond any XSAVE size (AMX is 11 KiB)

    private readonly int _tracer = Environment.CurrentManagedThreadId;
    private readonly int _pendingSignal; // a signal the stop intercepted, handed back on detach
    private XSaveImage? _state;
    private int _length;
    private bool _detached;

    private TracedThread(int threadId, int pendingSignal)
    {
        ThreadId = threadId;
        _pendingSignal = pendingSignal;
    }

    /// <summary>The thread (Linux task id, as in /proc/PID/task).</summary>
    public int ThreadId { get; }

    /// <summary>Attaches to a thread of another process and stops it.</summary>
    /// <param name="threadId">The thread's task id (a process id names its main thread).</param>
    /// <returns>The stopped thread.</returns>
    /// <exception cref="ThreadTracingException">The thread does not exist, may not be traced by this process, or ended while being stopped.</exception>
    /// <exception cref="PlatformNotSupportedException">This is not Linux.</exception>
    public static TracedThread Attach(int threadId)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Tracing another thread uses Linux's ptrace.");
        }

        Check(Ptrace.Call(Ptrace.Seize, threadId, 0, 0), "PTRACE_SEIZE", threadId);
        try
        {
            Check(Ptrace.Call(Ptrace.Interrupt, threadId, 0, 0), "PTRACE_INTERRUPT", threadId);
            int status = WaitForStop(threadId);
            int signal = (status >> 8) & 0xFF;
            bool trapStop = (status >> 16) == Ptrace.EventStop;
            return new TracedThread(threadId, trapStop ? 0 : signal);
        }
        catch (ThreadTracingException)
        {
            Ptrace.Call(Ptrace.Detach, threadId, 0, 0);
            throw;
        }
    }

    /// <summary>Reads the thread's extended state (PTRACE_GETREGSET, NT_X86_XSTATE): its XCR0 and layout come with it.</summary>
    /// <returns>The state, as the kernel holds it.</returns>
    /// <exception cref="ThreadTracingException">The kernel refused (the thread is gone, or this is not x86).</exception>
    public XSaveImage ReadState()
    {
        ThrowIfNotUsable();
        byte[] buffer = new byte[16384];
        int length;
        while ((length = GetRegSet(buffer)) == buffer.Length && buffer.Length < LargestImage)
        {
            buffer = new byte[buffer.Length * 2]; // filled to the brim: there may be more
        }

        _state = XSaveImage.Parse(buffer.AsSpan(0, length));
        _length = length;
        return _state;
    }

    /// <summary>
    /// Writes <paramref name="state"/> as the thread's extended state: converted to NT_X86_XSTATE
    /// for the thread's XCR0 and layout (as <see cref="ReadState"/> found them), checked as
    /// <see cref="XSaveArea.Load(RestoreHazards)"/> checks an area, then PTRACE_SETREGSET. The
    /// thread loads it when it runs again.
    /// </summary>
    /// <param name="state">The state, e.g. <see cref="ReadState"/>'s area changed through the setters.</param>
    /// <param name="allowed">Hazards the caller accepts for the thread (unmasked exceptions, key 0 locked); x87 registers in use are always accepted.</param>
    /// <exception cref="InvalidXSaveAreaException">The state breaks a restore rule; nothing was written.</exception>
    /// <exception cref="ArgumentException">The state uses components the thread's XCR0 does not enable; nothing was written.</exception>
    /// <exception cref="ThreadTracingException">The kernel refused the image; the thread's state is unchanged.</exception>
    public void WriteState(in XSaveArea state, RestoreHazards allowed = RestoreHazards.None)
    {
        XSaveImage current = _state ?? ReadState();
        byte[] image = XSaveImage.Parse(state.ToArray()).ToLinuxXState(current.Xcr0, current.Layout);
        XSaveArea judged = XSaveImage.Parse(image).Area;
        // A stopped thread may be anywhere inside a function, where values on the x87 stack are
        // its own business: the empty-stack rule holds only at calls and returns.
        RestoreValidation.ThrowIfInvalid(in judged, XSaveArea.SafeFeatures, current.Xcr0!.Value, Processor.MxcsrMask, compactedSupported: false, current.Layout, allowed | RestoreHazards.X87RegistersInUse);
        if (image.Length != _length)
        {
            throw new ThreadTracingException("PTRACE_SETREGSET", ThreadId, $"the image for XCR0 0x{(ulong)current.Xcr0.Value:X} is {image.Length} bytes, the kernel's is {_length}.");
        }

        WriteState(image);
    }

    /// <summary>Writes raw NT_X86_XSTATE bytes with PTRACE_SETREGSET; the kernel alone judges them.</summary>
    /// <param name="linuxXState">The image, exactly the size <see cref="ReadState"/> returned.</param>
    /// <exception cref="ThreadTracingException">The kernel refused the image; the thread's state is unchanged.</exception>
    public void WriteState(ReadOnlySpan<byte> linuxXState)
    {
        ThrowIfNotUsable();
        fixed (byte* bytes = linuxXState)
        {
            var vector = new Ptrace.IoVec { Base = bytes, Length = (nuint)linuxXState.Length };
            Check(Ptrace.Call(Ptrace.SetRegSet, ThreadId, Ptrace.NtX86XState, (nint)(&vector)), "PTRACE_SETREGSET", ThreadId);
        }

        _state = null; // read again before the next typed write
    }

    /// <summary>Detaches: the thread runs on, with any signal the stop intercepted.</summary>
    public void Dispose()
    {
        if (_detached)
        {
            return;
        }

        ThrowIfOtherThread();
        _detached = true;
        Ptrace.Call(Ptrace.Detach, ThreadId, 0, _pendingSignal); // a thread that is gone needs no detaching
    }

    private int GetRegSet(byte[] buffer)
    {
        fixed (byte* bytes = buffer)
        {
            var vector = new Ptrace.IoVec { Base = bytes, Length = (nuint)buffer.Length };
            Check(Ptrace.Call(Ptrace.GetRegSet, ThreadId, Ptrace.NtX86XState, (nint)(&vector)), "PTRACE_GETREGSET", ThreadId);
            return (int)vector.Length;
        }
    }

    // Waits for the stop PTRACE_INTERRUPT asked for. Polled, not blocking: when the thread's
    // process is a child started with System.Diagnostics.Process, .NET's SIGCHLD handler may
    // reap the stop notification first, so the thread's state in /proc counts as well ('t':
    // stopped by its tracer, which is all PTRACE_GETREGSET needs). Returns the wait status, or
    // a plain trap stop's when the notification went elsewhere.
    private static int WaitForStop(int threadId)
    {
        long deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            int status;
            int result = Ptrace.WaitPid(threadId, &status, Ptrace.WaitAll | Ptrace.NoHang);
            if (result == threadId)
            {
                if ((status & 0xFF) != 0x7F)
                {
                    throw new ThreadTracingException("waitpid", threadId, $"the thread ended instead of stopping (wait status 0x{status:X}).");
                }

                return status;
            }

            if (result == -1 && Marshal.GetLastPInvokeError() != Ptrace.ErrorInterrupted)
            {
                Check(result, "waitpid", threadId);
            }

            if (IsTraceStopped(threadId))
            {
                return (Ptrace.EventStop << 16) | 0x7F;
            }

            if (Environment.TickCount64 > deadline)
            {
                throw new ThreadTracingException("PTRACE_INTERRUPT", threadId, "the thread did not stop within 10 seconds.");
            }

            System.Threading.Thread.Sleep(1);
        }
    }

    // /proc/TID/stat: "pid (comm) S ...", where comm may hold anything, so the state follows the last ')'.
    private static bool IsTraceStopped(int threadId)
    {
        try
        {
            string stat = System.IO.File.ReadAllText($"/proc/{threadId}/stat");
            int end = stat.LastIndexOf(')');
            return end > 0 && end + 2 < stat.Length && stat[end + 2] == 't';
        }
        catch (System.IO.IOException)
        {
            return false; // gone: waitpid says so next time round
        }
    }

    private static void Check(nint result, string operation, int threadId)
    {
        if (result == -1)
        {
            throw new ThreadTracingException(operation, threadId, Marshal.GetLastPInvokeError());
        }
    }

    private void ThrowIfNotUsable()
    {
        ObjectDisposedException.ThrowIf(_detached, this);
        ThrowIfOtherThread();
    }

    private void ThrowIfOtherThread()
    {
        if (Environment.CurrentManagedThreadId != _tracer)
        {
            throw new InvalidOperationException($"Thread {ThreadId} is traced by the managed thread {_tracer}, which attached: the kernel accepts ptrace requests from that thread only.");
        }
    }
}
