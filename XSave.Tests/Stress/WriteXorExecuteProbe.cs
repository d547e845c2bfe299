using System;
using System.IO;
using System.Linq;
using System.Threading;

namespace XSave.Stress;

/// <summary>
/// Reads /proc/self/maps before the first thunk call, continuously while another thread makes
/// it, and after: no mapping of the process may ever be writable and executable.
/// </summary>
internal static class WriteXorExecuteProbe
{
    public static int Run()
    {
        int scans = 0, writableExecutable = 0;
        string? offender = null;
        void Scan()
        {
            foreach (string line in File.ReadLines("/proc/self/maps"))
            {
                string permissions = line.Split(' ')[1];
                if (permissions.Contains('w') && permissions.Contains('x'))
                {
                    writableExecutable++;
                    offender ??= line;
                }
            }

            scans++;
        }

        Scan();
        int before = writableExecutable;
        using var done = new ManualResetEventSlim();
        var scanner = new Thread(() =>
        {
            while (!done.IsSet)
            {
                Scan();
            }
        });
        scanner.Start();
        Thread.Sleep(20);
        XFeatures features = XSaveArea.EnabledFeatures; // first thunk call: maps the runtime's page
        Thread.Sleep(20);
        done.Set();
        scanner.Join();
        Scan();

        ExecutableMapping page = ExecutableMemory.Mappings.Single(m => m.Owner == "XSave");
        string pageLine = File.ReadLines("/proc/self/maps").First(l =>
        {
            string[] range = l.Split(' ')[0].Split('-');
            ulong start = Convert.ToUInt64(range[0], 16), end = Convert.ToUInt64(range[1], 16);
            return (ulong)page.Address >= start && (ulong)page.Address < end;
        });

        Console.WriteLine($"features 0x{(ulong)features:X}");
        Console.WriteLine($"scans {scans}");
        Console.WriteLine($"wx-before {before}");
        Console.WriteLine($"wx-total {writableExecutable}");
        Console.WriteLine($"thunk-page {pageLine.Split(' ')[1]}");
        Console.WriteLine($"offender {offender ?? "none"}");
        return 0;
    }
}
