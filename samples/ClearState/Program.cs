// Clears the extended state: every saved component goes back to its init state, then saves it to
// show so. The first save of a process also initialises the library (CPUID, XGETBV, the layout),
// managed code that leaves SSE and AVX-512 registers in use and sets MXCSR's precision flag; one
// save before the Clear does that first, so that between the Clear and the save only the save's
// own checks run.
using System;
using XSave;

if (!XSaveArea.IsSupported)
{
    Console.WriteLine("XSAVE cannot run here.");
    return;
}

XSaveArea before = default;
before.Save();
XSaveArea.Clear();
XSaveArea after = default;
after.Save();
Console.WriteLine($"Before Clear: MXCSR=0x{(uint)before.Legacy.Mxcsr:X4} FCW=0x{(ushort)before.Legacy.Fcw:X4} XSTATE_BV=0x{(ulong)before.Header.XStateBv:X}");
Console.WriteLine($"After Clear:  MXCSR=0x{(uint)after.Legacy.Mxcsr:X4} FCW=0x{(ushort)after.Legacy.Fcw:X4} XSTATE_BV=0x{(ulong)after.Header.XStateBv:X}");
if (after.Header.XStateBv != XFeatures.None)
{
    // What ran between the Clear and the XSAVE (the save's checks, JIT-compiled vector code) used
    // those registers; the state was clear after the XRSTOR.
    Console.WriteLine($"  in use again by the code between the two: {after.Header.XStateBv}");
}
