using System.Collections.Generic;
using System.IO;
using BenchmarkDotNet.Attributes;
using XSave.Diagnostics;
using XSave.Tests.Support;

namespace XSave.Benchmarks;

/// <summary>
/// Parsing throughput: one image of each format (this CPU's state with every YMM register
/// set), and a core of 1,000 threads read per thread, from memory and from a stream. Images per
/// second are 10^9 / Mean (ns); allocations per image come from the memory diagnoser.
/// </summary>
[MemoryDiagnoser]
public class ParsingBenchmarks
{
    private const int Threads = 1000;
    private byte[] _standard = null!;
    private byte[] _compacted = null!;
    private byte[] _linuxXState = null!;
    private byte[] _core = null!;

    [GlobalSetup]
    public void Setup()
    {
        XSaveArea area = default;
        area.Save();
        for (int r = 0; r < 16; r++)
        {
            area.SetYmm(r, new YmmRegister(new XmmRegister((ulong)r, 1), new XmmRegister(2, (ulong)r)));
        }

        XSaveImage image = XSaveImage.Parse(area.ToArray());
        _standard = area.ToArray();
        _compacted = image.ToCompacted().ToArray();
        _linuxXState = image.ToLinuxXState(XSaveArea.EnabledFeatures);
        var core = new CoreBuilder();
        for (int thread = 1; thread <= Threads; thread++)
        {
            core.Thread(thread, _linuxXState);
        }

        _core = core.Build();
    }

    [Benchmark(Description = "Parse: standard (this library's area)")]
    public XSaveImage Standard() => XSaveImage.Parse(_standard);

    [Benchmark(Description = "Parse: compacted")]
    public XSaveImage Compacted() => XSaveImage.Parse(_compacted);

    [Benchmark(Description = "Parse: NT_X86_XSTATE")]
    public XSaveImage LinuxXState() => XSaveImage.Parse(_linuxXState);

    [Benchmark(Description = "Core, per thread (bytes in memory)", OperationsPerInvoke = Threads)]
    public IReadOnlyList<LinuxCoreFile.ThreadState> CoreFromMemory() => LinuxCoreFile.ReadThreads(_core);

    [Benchmark(Description = "Core, per thread (stream)", OperationsPerInvoke = Threads)]
    public IReadOnlyList<LinuxCoreFile.ThreadState> CoreFromStream() => LinuxCoreFile.ReadThreads(new MemoryStream(_core, writable: false));
}
