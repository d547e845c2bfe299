// Clears the extended state: every saved component goes back to its init state.
using System;
using XSave;

if (!XSaveArea.IsSupported)
{
    Console.WriteLine("XSAVE cannot run here.");
    return;
}

XSaveArea.Clear();
XSaveArea after = default;
after.Save();
Console.WriteLine($"After Clear: MXCSR=0x{(uint)after.Legacy.Mxcsr:X4} FCW=0x{(ushort)after.Legacy.Fcw:X4} XSTATE_BV=0x{(ulong)after.Header.XStateBv:X}");
