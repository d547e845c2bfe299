namespace XSave.Diagnostics;

// Linux: ptrace stops the thread and moves NT_X86_XSTATE.
public sealed unsafe partial class TracedThread
{
    private const int LargestImage = 1 << 20; // far beyond any XSAVE size (AMX is 11 KiB)

    private int _pendingSignal; // a signal the stop intercepted, handed back on detach

    private static TracedThread AttachLinux(int threadId)
    {
        Check(Ptrace.Call(Ptrace.Seize, threadId, 0, 0), "PTRACE_SEIZE", threadId);
        try
        {
            Check(Ptrace.Call(Ptrace.Interrupt, threadId, 0, 0), "PTRACE_INTERRUPT", threadId);
            int status = WaitForStop(threadId);
            int signal = (status >> 8) & 0xFF;
            bool trapStop = (status >> 16) == Ptrace.EventStop;
            return new TracedThread(threadId) { _pendingSignal = trapStop ? 0 : signal };
        }
        catch (ThreadTracingException)
        {
            Ptrace.Call(Ptrace.Detach, threadId, 0, 0);
            throw;
        }
    }

    /// <summary>Writes raw NT_X86_XSTATE bytes with PTRACE_SETREGSET (Linux); the kernel alone judges them.</summary>
    /// <param name="linuxXState">The image, exactly the size <see cref="ReadState"/> returned.</param>
    /// <exception cref="ThreadTracingException">The kernel refused the image; the thread's state is unchanged.</exception>
    /// <exception cref="PlatformNotSupportedException">This is not Linux.</exception>
    public void WriteState(ReadOnlySpan<byte> linuxXState)
    {
        ThrowIfNotUsable();
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("NT_X86_XSTATE images are Linux's; on Windows write an XSaveArea.");
        }

        fixed (byte* bytes = linuxXState)
        {
            var vector = new Ptrace.IoVec { Base = bytes, Length = (nuint)linuxXState.Length };
            Check(Ptrace.Call(Ptrace.SetRegSet, ThreadId, Ptrace.NtX86XState, (nint)(&vector)), "PTRACE_SETREGSET", ThreadId);
        }

        _state = null; // read again before the next typed write
    }

    private XSaveImage ReadLinuxXState()
    {
        byte[] buffer = new byte[16384];
        int length;
        while ((length = GetRegSet(buffer)) == buffer.Length && buffer.Length < LargestImage)
        {
            buffer = new byte[buffer.Length * 2]; // filled to the brim: there may be more
        }

        return XSaveImage.Parse(buffer.AsSpan(0, length));
    }

    private void WriteLinuxXState(byte[] image, int kernelLength)
    {
        if (image.Length != kernelLength)
        {
            throw new ThreadTracingException("PTRACE_SETREGSET", ThreadId, $"the image is {image.Length} bytes, the kernel's is {kernelLength}.");
        }

        WriteState(image);
    }

    private ControlWords ReadLinuxControlWords()
    {
        byte* region = stackalloc byte[LegacyRegion.Size];
        Check(Ptrace.Call(Ptrace.GetFpRegs, ThreadId, 0, (nint)region), "PTRACE_GETFPREGS", ThreadId);
        return ControlWords.FromLegacyRegion(new ReadOnlySpan<byte>(region, LegacyRegion.Size));
    }

    private void DetachLinux() => Ptrace.Call(Ptrace.Detach, ThreadId, 0, _pendingSignal); // a thread that is gone needs no detaching

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
}
