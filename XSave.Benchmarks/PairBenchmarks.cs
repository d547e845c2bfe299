using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace XSave.Benchmarks;

/// <summary>
/// Each benchmark runs <see cref="Pairs"/> save+restore pairs; every category has its native
/// inline-assembly loop as the baseline, so the Ratio column is "times the physical limit".
/// </summary>
[Config(typeof(CategoryBaselineConfig))]
public unsafe class PairBenchmarks
{
    private const int Pairs = 256;
    private XSaveArea* _aligned;
    private XSaveArea* _misaligned;
    private byte* _block;
    private XSaveContext _context = null!;

    [GlobalSetup]
    public void Setup()
    {
        NativeBaseline.Ensure();
        _block = (byte*)NativeMemory.AlignedAlloc(3 * XSaveArea.Size, XSaveArea.Alignment);
        _aligned = (XSaveArea*)_block;
        _misaligned = (XSaveArea*)(_block + XSaveArea.Size + 8);
        _aligned->Save();
        _misaligned->Save();
        _context = new XSaveContext();
        _context.Save();
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_block);

    [Benchmark(Baseline = true, OperationsPerInvoke = Pairs), BenchmarkCategory("XSAVE+XRSTOR")]
    public void InlineAsm() => NativeBaseline.XSaveXRstorLoop(_aligned, Pairs);

    [Benchmark(OperationsPerInvoke = Pairs), BenchmarkCategory("XSAVE+XRSTOR")]
    public void Save_Load()
    {
        ref XSaveArea area = ref *_aligned;
        for (int i = 0; i < Pairs; i++)
        {
            area.Save();
            area.Load();
        }
    }

    [Benchmark(OperationsPerInvoke = Pairs), BenchmarkCategory("XSAVE+XRSTOR")]
    public void Save_LoadUnchecked()
    {
        ref XSaveArea area = ref *_aligned;
        for (int i = 0; i < Pairs; i++)
        {
            area.Save();
            area.LoadUnchecked();
        }
    }

    [Benchmark(OperationsPerInvoke = Pairs), BenchmarkCategory("XSAVE+XRSTOR")]
    public void Save_Load_Misaligned()
    {
        ref XSaveArea area = ref *_misaligned;
        for (int i = 0; i < Pairs; i++)
        {
            area.Save();
            area.Load();
        }
    }

    [Benchmark(OperationsPerInvoke = Pairs), BenchmarkCategory("XSAVE+XRSTOR")]
    public void Context_Save_Restore()
    {
        XSaveContext context = _context;
        for (int i = 0; i < Pairs; i++)
        {
            context.Save();
            context.Restore();
        }
    }

    [Benchmark(OperationsPerInvoke = Pairs), BenchmarkCategory("XSAVE+XRSTOR")]
    public void RawThunks()
    {
        for (int i = 0; i < Pairs; i++)
        {
            BenchmarkThunks.XSave(_aligned);
            BenchmarkThunks.XRstor(_aligned);
        }
    }

    [Benchmark(OperationsPerInvoke = Pairs), BenchmarkCategory("XSAVE+XRSTOR")]
    public void PInvoke()
    {
        for (int i = 0; i < Pairs; i++)
        {
            NativeBaseline.XSaveXRstorPair(_aligned);
        }
    }

    [Benchmark(OperationsPerInvoke = Pairs), BenchmarkCategory("XSAVE+XRSTOR")]
    public void PInvoke_SaveThenRestore()
    {
        for (int i = 0; i < Pairs; i++)
        {
            NativeBaseline.XSave64(_aligned);
            NativeBaseline.XRstor64(_aligned);
        }
    }

    [Benchmark(OperationsPerInvoke = Pairs), BenchmarkCategory("XSAVE+XRSTOR")]
    public void PInvoke_SuppressGCTransition()
    {
        for (int i = 0; i < Pairs; i++)
        {
            NativeBaseline.XSaveXRstorPairSuppressed(_aligned);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Pairs), BenchmarkCategory("XSAVEC+XRSTOR")]
    public void InlineAsm_Compacted() => NativeBaseline.XSaveCXRstorLoop(_aligned, Pairs);

    [Benchmark(OperationsPerInvoke = Pairs), BenchmarkCategory("XSAVEC+XRSTOR")]
    public void RawThunks_Compacted()
    {
        for (int i = 0; i < Pairs; i++)
        {
            BenchmarkThunks.XSaveC(_aligned);
            BenchmarkThunks.XRstor(_aligned);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Pairs), BenchmarkCategory("FXSAVE+FXRSTOR")]
    public void InlineAsm_Legacy() => NativeBaseline.FxSaveFxRstorLoop(_aligned, Pairs);

    [Benchmark(OperationsPerInvoke = Pairs), BenchmarkCategory("FXSAVE+FXRSTOR")]
    public void Legacy_Save_Load()
    {
        ref LegacyRegion region = ref _aligned->Legacy;
        for (int i = 0; i < Pairs; i++)
        {
            region.Save();
            region.Load();
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Pairs), BenchmarkCategory("XGETBV")]
    public ulong InlineAsm_XGetBv() => NativeBaseline.XGetBvLoop(Pairs);

    [Benchmark(OperationsPerInvoke = Pairs), BenchmarkCategory("XGETBV")]
    public ulong RawThunk_XGetBv()
    {
        ulong sum = 0;
        for (int i = 0; i < Pairs; i++)
        {
            sum += BenchmarkThunks.XGetBv(0);
        }

        return sum;
    }
}
