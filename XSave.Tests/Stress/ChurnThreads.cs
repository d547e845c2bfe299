using System;
using System.Threading;

namespace XSave.Stress;

/// <summary>A process whose threads come and go: it starts and joins short threads until killed (for 'xsave pid').</summary>
internal static class ChurnThreads
{
    public static int Run()
    {
        Console.WriteLine("ready");
        Console.Out.Flush();
        while (true)
        {
            var threads = new Thread[4];
            for (int i = 0; i < threads.Length; i++)
            {
                threads[i] = new Thread(() => Thread.SpinWait(20_000));
                threads[i].Start();
            }

            foreach (Thread thread in threads)
            {
                thread.Join();
            }
        }
    }
}
