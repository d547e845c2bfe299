// NativeAOT comparison: each case runs `Pairs` pairs per sample; samples of all cases are
// interleaved so that drift hits them alike; the median per case is reported with its ratio to
// the inline-assembly loop. First: the cost of the process's first thunk call (mapping included).
using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.InteropServices;
using XSave;
using XSave.Benchmarks;

const int Pairs = 256, Samples = 301;

// 1. The first call in this process: CPU probe, mapping the runtime's thunk page, XSAVE.
long start = Stopwatch.GetTimestamp();
XSaveArea first = default;
first.Save();
double firstCallMicroseconds = Stopwatch.GetElapsedTime(start).TotalMicroseconds;

// 2. The mapping alone (mmap + copy + mprotect), on fresh blocks of the same size.
int thunkBytes = ExecutableMemory.Mappings[0].Length;
byte[] code = new byte[thunkBytes];
code.AsSpan().Fill(0xCC);
double[] maps = new double[21];
for (int i = 0; i < maps.Length; i++)
{
    start = Stopwatch.GetTimestamp();
    ExecutableMemory.Map(code);
    maps[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
}

Console.WriteLine($"first thunk call (probe + map + XSAVE): {firstCallMicroseconds:F1} us");
Console.WriteLine($"mapping {thunkBytes} bytes read+execute: median {maps.Order().ElementAt(maps.Length / 2):F1} us of {maps.Length}");

NativeBaseline.Ensure();
unsafe
{
    byte* block = (byte*)NativeMemory.AlignedAlloc(3 * XSaveArea.Size, XSaveArea.Alignment);
    XSaveArea* aligned = (XSaveArea*)block, misaligned = (XSaveArea*)(block + XSaveArea.Size + 8);
    aligned->Save();
    misaligned->Save();

    (string Name, Action Run)[] cases =
    [
        ("inline asm XSAVE+XRSTOR", () => NativeBaseline.XSaveXRstorLoop(aligned, Pairs)),
        ("Save+Load", () => { for (int i = 0; i < Pairs; i++) { aligned->Save(); aligned->Load(); } }),
        ("Save+LoadUnchecked", () => { for (int i = 0; i < Pairs; i++) { aligned->Save(); aligned->LoadUnchecked(); } }),
        ("Save+Load misaligned", () => { for (int i = 0; i < Pairs; i++) { misaligned->Save(); misaligned->Load(); } }),
        ("Save + raw XRSTOR thunk", () => { for (int i = 0; i < Pairs; i++) { aligned->Save(); BenchmarkThunks.XRstor(aligned); } }),
        ("raw XSAVE thunk + LoadUnchecked", () => { for (int i = 0; i < Pairs; i++) { BenchmarkThunks.XSave(aligned); aligned->LoadUnchecked(); } }),
        ("raw thunks + one load of MXCSR_MASK between", () => { uint sink = 0; for (int i = 0; i < Pairs; i++) { BenchmarkThunks.XSave(aligned); sink += System.Threading.Volatile.Read(ref *(uint*)((byte*)aligned + 28)); BenchmarkThunks.XRstor(aligned); } GC.KeepAlive(sink); }),
        ("raw thunks + one load of a byte XSAVE never writes", () => { uint sink = 0; for (int i = 0; i < Pairs; i++) { BenchmarkThunks.XSave(aligned); sink += System.Threading.Volatile.Read(ref *(uint*)((byte*)aligned + 4000)); BenchmarkThunks.XRstor(aligned); } GC.KeepAlive(sink); }),
        ("raw generated thunks", () => { for (int i = 0; i < Pairs; i++) { BenchmarkThunks.XSave(aligned); BenchmarkThunks.XRstor(aligned); } }),
        ("P/Invoke pair", () => { for (int i = 0; i < Pairs; i++) { NativeBaseline.XSaveXRstorPair(aligned); } }),
        ("P/Invoke pair, SuppressGCTransition", () => { for (int i = 0; i < Pairs; i++) { NativeBaseline.XSaveXRstorPairSuppressed(aligned); } }),
        ("inline asm XSAVEOPT+XRSTOR", () => NativeBaseline.XSaveOptXRstorLoop(aligned, Pairs)),
        ("SaveOptimized+Load", () => { for (int i = 0; i < Pairs; i++) { aligned->SaveOptimized(); aligned->Load(); } }),
        ("inline asm FXSAVE+FXRSTOR", () => NativeBaseline.FxSaveFxRstorLoop(aligned, Pairs)),
        ("LegacyRegion Save+Load", () => { for (int i = 0; i < Pairs; i++) { aligned->Legacy.Save(); aligned->Legacy.Load(); } }),
    ];

    double[][] samples = cases.Select(_ => new double[Samples]).ToArray();
    int[] order = Enumerable.Range(0, cases.Length).ToArray();
    var random = new Random(20261126);
    long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    for (int s = 0; s < Samples; s++)
    {
        // A fresh order every round: no case always runs after the same neighbour.
        random.Shuffle(order);
        foreach (int c in order)
        {
            long t = Stopwatch.GetTimestamp();
            cases[c].Run();
            samples[c][s] = Stopwatch.GetElapsedTime(t).TotalNanoseconds / Pairs;
        }
    }

    long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    double Median(double[] values) => values.Order().ElementAt(values.Length / 2);
    double[] medians = samples.Select(Median).ToArray();
    Console.WriteLine();
    Console.WriteLine($"{"case",-38} {"median ns/pair",15} {"ratio",7}");
    for (int c = 0; c < cases.Length; c++)
    {
        int baseline = c < cases.Length - 4 ? 0 : c < cases.Length - 2 ? cases.Length - 4 : cases.Length - 2;
        Console.WriteLine($"{cases[c].Name,-38} {medians[c],15:F1} {medians[c] / medians[baseline],7:F3}");
    }

    Console.WriteLine();
    Console.WriteLine($"managed bytes allocated over {Samples * cases.Length * Pairs} pairs: {allocated}");
    NativeMemory.AlignedFree(block);
}
