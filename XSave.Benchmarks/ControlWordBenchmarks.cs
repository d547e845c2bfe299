using System;
using BenchmarkDotNet.Attributes;

namespace XSave.Benchmarks;

/// <summary>
/// The control words alone: a read, and a flush-to-zero scope (set, then restore), each against
/// the bare instructions in a gcc inline-assembly loop; and what the scope is for, the FlushToZero
/// sample's filter running on in its subnormal tail (16 blocks of 256 samples) with and without it.
/// </summary>
[Config(typeof(CategoryBaselineConfig))]
public class ControlWordBenchmarks
{
    private const int Operations = 256, Blocks = 16;
    private readonly float[] _block = new float[256];
    private Biquad _tail = null!;

    [GlobalSetup]
    public void Setup()
    {
        NativeBaseline.Ensure();
        // The filter after one impulse, run on until its state is subnormal.
        _tail = new Biquad(cutoff: 0.02f, q: 20f);
        _block[0] = 1f;
        while (!_tail.StateIsSubnormal)
        {
            _tail.Process(_block);
            Array.Clear(_block);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations), BenchmarkCategory("STMXCSR")]
    public uint InlineAsm_StMxcsr() => NativeBaseline.StMxcsrLoop(Operations);

    [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory("STMXCSR")]
    public uint Mxcsr()
    {
        uint sum = 0;
        for (int i = 0; i < Operations; i++)
        {
            sum += (uint)FloatingPointControl.Mxcsr;
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations), BenchmarkCategory("MXCSR set+restore")]
    public void InlineAsm_Scope() => NativeBaseline.MxcsrScopeLoop(Operations);

    [Benchmark(OperationsPerInvoke = Operations), BenchmarkCategory("MXCSR set+restore")]
    public void FlushToZeroScope()
    {
        for (int i = 0; i < Operations; i++)
        {
            using (FloatingPointControl.FlushToZero())
            {
            }
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("IIR subnormal tail")]
    public void Tail_DefaultMxcsr() => RunTail(_tail.Copy());

    [Benchmark, BenchmarkCategory("IIR subnormal tail")]
    public void Tail_FlushToZero()
    {
        using (FloatingPointControl.FlushToZero())
        {
            RunTail(_tail.Copy());
        }
    }

    private void RunTail(Biquad filter)
    {
        for (int b = 0; b < Blocks; b++)
        {
            Array.Clear(_block);
            filter.Process(_block);
        }
    }
}
