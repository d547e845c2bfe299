// Prints each thread's vector registers from the NT_X86_XSTATE notes of a Linux core file
// (e.g. one written by `gcore PID`). Reading needs no x86: this runs on any machine.
using System;
using System.Collections.Generic;
using System.IO;
using XSave;
using XSave.Diagnostics;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: CoreFile <core file>");
    return 2;
}

IReadOnlyList<LinuxCoreFile.ThreadState> threads;
try
{
    threads = LinuxCoreFile.ReadThreads(File.ReadAllBytes(args[0]));
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidXSaveImageException)
{
    Console.Error.WriteLine($"CoreFile: {e.Message}");
    return 1;
}

Console.WriteLine($"{args[0]}: {threads.Count} thread(s)");
foreach (LinuxCoreFile.ThreadState thread in threads)
{
    XSaveImage state = thread.State;
    XSaveArea area = state.Area;
    Console.WriteLine();
    Console.WriteLine($"thread {thread.ThreadId}: XCR0 0x{(ulong)(state.Xcr0 ?? 0):X}, in use 0x{(ulong)state.InUse:X}, layout {state.Layout.Name}");
    Console.WriteLine($"  MXCSR 0x{(uint)area.Legacy.Mxcsr:X8}  FCW 0x{(ushort)area.Legacy.Fcw:X4}  ST0 {area.Legacy.St[0]}");
    bool avx512 = state.InUse.HasFlag(XFeatures.Avx512ZmmHi256) || state.InUse.HasFlag(XFeatures.Avx512Hi16Zmm);
    for (int i = 0; i < (avx512 ? 32 : 16); i++)
    {
        Console.WriteLine(avx512 ? $"  ZMM{i,-2} {area.Zmm(i)}" : $"  YMM{i,-2} {area.Ymm(i)}");
    }

    if (state.InUse.HasFlag(XFeatures.Avx512Opmask))
    {
        for (int k = 0; k < 8; k++)
        {
            Console.WriteLine($"  K{k} 0x{area.Opmask(k):X16}");
        }
    }
}

return 0;
