using System.IO;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Iced.Intel;
using XSave.Generators;
using XSave.Generators.Helpers;
using XSave.Generators.Models;
using static Iced.Intel.AssemblerRegisters;
using GeneratedInstruction = XSave.Generators.Shared.XSaveInstruction;

namespace XSave.Benchmarks;

/// <summary>
/// What keeping XMM6–XMM15 costs the Windows form: the generator's own XSAVE+XRSTOR thunk, in its
/// System V bytes (the bare instruction pair) and its Windows bytes (the pair between ten stores
/// and ten loads), each called from a loop in machine code that passes the arguments the way its
/// convention wants. The bytes do not depend on the OS, so both run on any x86-64 host.
/// </summary>
public unsafe class ConventionBenchmarks
{
    private const int Pairs = 256;
    private byte* _areas;
    private nint _systemV;
    private nint _windows;

    [GlobalSetup]
    public void Setup()
    {
        _areas = (byte*)NativeMemory.AlignedAlloc(2 * XSaveArea.Size, XSaveArea.Alignment);
        ((XSaveArea*)_areas)->Save();
        ((XSaveArea*)(_areas + XSaveArea.Size))->Save();
        var model = new ThunkModel(
            new HierarchyInfo(string.Empty, EquatableArray<string>.Empty), "static", "void", "Switch", "Switch", EquatableArray<string>.Empty,
            ParameterNames.Of(XSave.Generators.Shared.ThunkShape.Switch, "save", "restore", string.Empty), GeneratedInstruction.XSaveXRstor, AreaPassing.Pointer, IsUnchecked: true, IsFreestanding: false);
        AssembledThunk thunk = XSaveThunkGenerator.CodeAssembler.Run(model);
        _systemV = Loop([.. thunk.SystemV], windows: false);
        _windows = Loop([.. thunk.Windows], windows: true);
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_areas);

    [Benchmark(Baseline = true, OperationsPerInvoke = Pairs)]
    public void SystemV_form() => ((delegate* unmanaged<byte*, int, void>)_systemV)(_areas, Pairs);

    [Benchmark(OperationsPerInvoke = Pairs)]
    public void Windows_form() => ((delegate* unmanaged<byte*, int, void>)_windows)(_areas, Pairs);

    // loop(areas in RDI, count in ESI), System V: calls the thunk `count` times with (areas, areas + 4096)
    // in the thunk's own convention. R12 and R13 carry the loop and are kept for the managed caller.
    private static nint Loop(byte[] thunk, bool windows)
    {
        var c = new Assembler(64);
        Label top = c.CreateLabel(), target = c.CreateLabel();
        c.push(r12);
        c.push(r13);
        c.sub(rsp, 40); // Windows shadow space, and RSP 16-aligned at each call
        c.mov(r12, rdi);
        c.mov(r13d, esi);
        c.Label(ref top);
        if (windows)
        {
            c.mov(rcx, r12);
            c.lea(rdx, __[r12 + XSaveArea.Size]);
        }
        else
        {
            c.mov(rdi, r12);
            c.lea(rsi, __[r12 + XSaveArea.Size]);
        }

        c.call(target);
        c.dec(r13d);
        c.jnz(top);
        c.add(rsp, 40);
        c.pop(r13);
        c.pop(r12);
        c.ret();
        c.Label(ref target);
        c.db(thunk);
        using var stream = new MemoryStream();
        c.Assemble(new StreamCodeWriter(stream), 0);
        return ExecutableMemory.Map(stream.ToArray(), "XSave.Benchmarks", string.Empty);
    }
}
