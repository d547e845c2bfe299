using System.Diagnostics;
using System.Threading;

namespace XSave.Tests.Reliability;

/// <summary>
/// Threads save and restore their own state in parallel for a bounded time; each must always read
/// back exactly its own registers (x87 stack, FCW, MXCSR: the state managed code leaves alone).
/// </summary>
[RequiresXSave]
public class PerThreadStateSoakTests
{
    private static TimeSpan Duration => TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable("XSAVE_SOAK_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out double s) ? s : 2);

    [Test]
    public void Every_thread_reads_back_its_own_registers()
    {
        const int Threads = 8;
        long[] rounds = new long[Threads];
        string?[] failures = new string?[Threads];
        var clock = Stopwatch.StartNew();
        Thread[] workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            XSaveArea original = default;
            original.Save();
            XSaveArea mine = original;
            mine.Header.XStateBv |= XFeatures.X87;
            mine.Legacy.Fcw = (X87ControlWord)(0x007F | ((t & 3) << 10));
            mine.Legacy.Mxcsr = Cpu.WithRounding(Mxcsr.AllExceptionMasks, t & 3) | (t % 2 == 0 ? Mxcsr.FlushToZero : 0);
            mine.Legacy.AbridgedFtw = 0xFF;
            mine.Legacy.Fsw = 0;
            for (int i = 0; i < 8; i++)
            {
                mine.Legacy.St[i] = new X87Register { SignAndExponent = (ushort)(0x4000 + t), Significand = 0x8000_0000_0000_0000UL | (uint)((t * 8) + i) };
            }

            XSaveArea back = default;
            while (clock.Elapsed < Duration && failures[t] is null)
            {
                mine.Load(RestoreHazards.X87RegistersInUse); // a full stack, on purpose: no x87 code runs before the save
                Thread.Yield(); // invite a context switch between restore and save
                back.Save();
                if (back.Legacy.Fcw != mine.Legacy.Fcw || (back.Legacy.Mxcsr & ~(Mxcsr)0x3F) != mine.Legacy.Mxcsr ||
                    !Enumerable.Range(0, 8).All(i => back.Legacy.St[i].Significand == mine.Legacy.St[i].Significand))
                {
                    failures[t] = $"thread {t} round {rounds[t]}: FCW {(ushort)back.Legacy.Fcw:X4} MXCSR {(uint)back.Legacy.Mxcsr:X8}";
                }

                rounds[t]++;
            }

            original.Load();
        })).ToArray();

        foreach (Thread worker in workers)
        {
            worker.Start();
        }

        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        TestContext.Out.WriteLine($"soak: {Threads} threads, {clock.Elapsed.TotalSeconds:F1} s, {rounds.Sum()} load/save rounds");
        Assert.That(failures.Where(f => f is not null), Is.Empty);
        Assert.That(rounds, Is.All.GreaterThan(0));
    }
}
