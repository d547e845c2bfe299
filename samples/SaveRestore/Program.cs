// Saves the state, changes the SSE rounding mode, watches arithmetic change, then restores.
using System;
using XSave;

if (!XSaveArea.IsSupported)
{
    Console.WriteLine("XSAVE cannot run here.");
    return;
}

XSaveArea saved = default;
saved.Save();

XSaveArea roundingUp = saved;
roundingUp.Legacy.Mxcsr = (saved.Legacy.Mxcsr & ~(Mxcsr.RoundDown | Mxcsr.RoundUp)) | Mxcsr.RoundUp;
double one = double.Parse("1"), three = double.Parse("3");
Console.WriteLine($"1/3 rounding to nearest: {one / three:R}");
roundingUp.Load();
double up = one / three;
saved.Load();
Console.WriteLine($"1/3 rounding up:         {up:R}");
Console.WriteLine($"restored, to nearest:    {one / three:R}");
