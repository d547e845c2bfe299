using System;
using System.Threading;

namespace XSave.Stress;

/// <summary>
/// Two threads switch between the same two contexts, crosswise, so that one thread's XSAVE writes
/// a page while the other's XRSTOR reads it. <see cref="XSaveContext"/> restores without a copy
/// or a check because only the library writes its page: whatever mix of two saves XRSTOR reads
/// is made of values XSAVE wrote, so it cannot fault. Prints "switches N" if the process lived.
/// </summary>
internal static class SwitchRace
{
    public static int Run(Options options)
    {
        long milliseconds = options.Number("ms", 500);
        var first = new XSaveContext();
        var second = new XSaveContext();
        first.Save();
        second.Save();
        long switches = 0;
        bool done = false;
        void Loop(XSaveContext from, XSaveContext to)
        {
            long mine = 0;
            while (!Volatile.Read(ref done))
            {
                from.SwitchTo(to);
                mine++;
            }

            Interlocked.Add(ref switches, mine);
            XSaveArea.Clear();
        }

        var other = new Thread(() => Loop(second, first));
        other.Start();
        var timer = new Timer(_ => Volatile.Write(ref done, true), null, milliseconds, Timeout.Infinite);
        Loop(first, second);
        other.Join();
        timer.Dispose();
        Console.WriteLine($"switches {switches}");
        return 0;
    }
}
