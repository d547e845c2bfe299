using System;
using System.IO;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace XSave.Stress;

/// <summary>
/// XRSTOR a candidate, XSAVE what the CPU now holds, XRSTOR a known-good state — in one piece of
/// machine code, so that no managed code ever runs on fuzzed state (an unmasked SSE exception
/// would trap the next inexact operation).
/// </summary>
internal static unsafe class RoundTripCode
{
    private static readonly Lazy<nint> Code = new(() =>
    {
        var c = new Assembler(64);
        uint mask = (uint)XSaveArea.SafeFeatures;
        // RDI = candidate, RSI = out, RDX = good state. XSAVE/XRSTOR take their mask in EDX:EAX.
        c.mov(rcx, rdx);
        c.mov(eax, mask);
        c.xor(edx, edx);
        c.xrstor64(__[rdi]);
        c.xsave64(__[rsi]);
        c.xrstor64(__[rcx]);
        c.ret();
        using var stream = new MemoryStream();
        c.Assemble(new StreamCodeWriter(stream), 0);
        return ExecutableMemory.Map(stream.ToArray(), "XSave.Stress", "xrstor64 [rdi]; xsave64 [rsi]; xrstor64 [rcx]");
    });

    public static void Run(XSaveArea* candidate, XSaveArea* output, XSaveArea* good) =>
        ((delegate* unmanaged<XSaveArea*, XSaveArea*, XSaveArea*, void>)Code.Value)(candidate, output, good);
}
