using System;
using System.Linq;
using System.Threading;

namespace XSave.Stress;

/// <summary>Many threads make the process's first thunk call at once; exactly one page may be mapped.</summary>
internal static class FirstCallRace
{
    public static int Run(Options options)
    {
        int threads = (int)options.Number("threads", 32);
        using var start = new Barrier(threads);
        var results = new XFeatures[threads];
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            results[i] = XSaveArea.EnabledFeatures; // the first XGETBV maps the runtime's page
        })).ToArray();
        int before = ExecutableMemory.Mappings.Count;
        foreach (Thread worker in workers)
        {
            worker.Start();
        }

        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        Console.WriteLine($"mappings-before {before}");
        Console.WriteLine($"mappings-after {ExecutableMemory.Mappings.Count(m => m.Owner == "XSave")}");
        Console.WriteLine($"threads {threads}");
        Console.WriteLine($"agree {results.Distinct().Count() == 1}");
        return 0;
    }
}
