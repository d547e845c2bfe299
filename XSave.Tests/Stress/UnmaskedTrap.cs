using System;
using System.Runtime.CompilerServices;

namespace XSave.Stress;

/// <summary>
/// Loads an MXCSR with divide-by-zero unmasked (the caller allowing it), then divides by zero in
/// managed code inside a catch-all: prints "caught" if .NET made the trap an exception, "no trap"
/// if the division returned. docs/design.md says neither happens: the process ends.
/// </summary>
internal static class UnmaskedTrap
{
    public static int Run()
    {
        var state = new XSaveArea();
        state.Save();
        state.Legacy.Mxcsr &= ~Mxcsr.ZeroDivideMask;
        Console.WriteLine("loading");
        Console.Out.Flush();
        state.Load(RestoreHazards.UnmaskedSseExceptions);
        string outcome;
        try
        {
            outcome = $"no trap {Divide(1.0, Zero())}";
        }
        catch (Exception e)
        {
            outcome = $"caught {e.GetType().Name}";
        }

        XSaveArea.Initial.Load();
        Console.WriteLine(outcome);
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Divide(double a, double b) => a / b;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Zero() => 0.0;
}
