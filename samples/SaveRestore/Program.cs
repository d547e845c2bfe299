// Saves the state, loads one that rounds SSE arithmetic up, watches a division change, then
// restores. C# compilers treat floating-point operations as independent of MXCSR: they may fold
// a division of constants at compile time, or reuse an earlier result across the Load (NativeAOT
// did). So the division runs in a method the compiler cannot see through, on inputs it cannot
// know (docs/design.md, "What a compiler may fold").
using System;
using System.Globalization;
using System.Runtime.CompilerServices;
using XSave;

if (!XSaveArea.IsSupported)
{
    Console.WriteLine("XSAVE cannot run here.");
    return;
}

XSaveArea saved = default;
saved.Save();

XSaveArea roundingUp = saved;
roundingUp.Legacy.SseRounding = RoundingControl.Up;
double one = double.Parse("1", CultureInfo.InvariantCulture), three = double.Parse("3", CultureInfo.InvariantCulture);
Console.WriteLine($"1/3 rounding to nearest: {Divide(one, three):R}");
roundingUp.Load();
double up = Divide(one, three);
saved.Load();
Console.WriteLine($"1/3 rounding up:         {up:R}");
Console.WriteLine($"restored, to nearest:    {Divide(one, three):R}");

[MethodImpl(MethodImplOptions.NoInlining)]
static double Divide(double a, double b) => a / b;
