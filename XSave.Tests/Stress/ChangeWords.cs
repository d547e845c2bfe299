using System;
using System.Threading;

namespace XSave.Stress;

/// <summary>
/// A process for <c>xsave watch</c> to watch: one thread changes its control words on a
/// schedule, one step every <c>--step-ms</c> (default 400), then stays: step 1 sets flush-to-zero
/// and denormals-are-zero in MXCSR, step 2 sets the x87 rounding up (or, with
/// <c>--library PATH</c>, loads that native library, whose initialiser is to change it), step 3 puts MXCSR
/// back. It prints "process PID", "thread TID", "ready", each "step N" as it happens, and waits
/// until killed.
/// </summary>
internal static class ChangeWords
{
    public static int Run(Options options)
    {
        int step = (int)options.Number("step-ms", 400);
        string? library = options.Text("library");
        using var started = new ManualResetEventSlim();
        int id = 0;
        var changer = new Thread(() =>
        {
            id = HoldState.CurrentThreadId();
            started.Set();
            Mxcsr original = FloatingPointControl.Mxcsr;
            Thread.Sleep(step);
            FloatingPointControl.SetMxcsr(original | Mxcsr.FlushToZero | (FloatingPointControl.HasDenormalsAreZeros ? Mxcsr.DenormalsAreZeros : 0));
            Say("step 1");
            Thread.Sleep(step);
            if (library is null)
            {
                FloatingPointControl.SetX87ControlWord((FloatingPointControl.X87ControlWord & ~X87ControlWord.RoundTowardZero) | X87ControlWord.RoundUp);
            }
            else
            {
                System.Runtime.InteropServices.NativeLibrary.Load(library); // its initialiser runs here, on this thread
            }

            Say("step 2");
            Thread.Sleep(step);
            FloatingPointControl.SetMxcsr(original);
            Say("step 3");
            Thread.Sleep(Timeout.Infinite);
        })
        { IsBackground = true };
        changer.Start();
        started.Wait();
        Say($"process {Environment.ProcessId}");
        Say($"thread {id}");
        Say("ready");
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    private static void Say(string line)
    {
        lock (typeof(ChangeWords))
        {
            Console.WriteLine(line);
            Console.Out.Flush();
        }
    }
}
