using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace XSave.Stress;

/// <summary>
/// A process for dump producers to read: <c>--threads N</c> threads each load MXCSR 0x5F80
/// (rounding up) and FCW 0x0A7F (double precision, rounding up) and then block; it prints each
/// thread's OS id ("thread TID": Linux's gettid, Windows' GetCurrentThreadId), then "ready", and
/// waits until killed (or, with <c>--fail-fast 1</c>, fails fast: the runtime's own dump then
/// records the threads).
/// </summary>
internal static partial class HoldState
{
    public const uint Mxcsr = 0x5F80;
    public const ushort Fcw = 0x0A7F;

    public static int Run(Options options)
    {
        int count = (int)options.Number("threads", 3);
        using var loaded = new CountdownEvent(count);
        var ids = new int[count];
        for (int i = 0; i < count; i++)
        {
            int index = i;
            new Thread(() =>
            {
                XSaveArea state = default;
                state.Save();
                state.Header.XStateBv |= XFeatures.X87 | XFeatures.Sse;
                state.Legacy.Mxcsr = (XSave.Mxcsr)Mxcsr;
                state.Legacy.Fcw = (X87ControlWord)Fcw;
                state.Legacy.AbridgedFtw = 0;
                state.Load();
                ids[index] = CurrentThreadId();
                loaded.Signal();
                Thread.Sleep(Timeout.Infinite);
            })
            { IsBackground = true }.Start();
        }

        loaded.Wait();
        foreach (int id in ids)
        {
            Console.WriteLine($"thread {id}");
        }

        Console.WriteLine("ready");
        Console.Out.Flush();
        if (options.Number("fail-fast", 0) != 0)
        {
            // With DOTNET_DbgEnableMiniDump=1 the runtime has its createdump write the dump now.
            Environment.FailFast("hold-state: dump requested");
        }

        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    /// <summary>This thread's OS id: Linux's gettid, Windows' GetCurrentThreadId.</summary>
    public static int CurrentThreadId() => OperatingSystem.IsWindows() ? (int)GetCurrentThreadId() : (int)GetTid();

    private const long SysGettid = 186; // x86-64

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Syscall(long number);

    private static long GetTid() => Syscall(SysGettid);

    [LibraryImport("kernel32")]
    private static partial uint GetCurrentThreadId();
}
