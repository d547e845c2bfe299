namespace XSave;

/// <summary>
/// Control words set for a block of code (<see cref="FloatingPointControl.FlushToZero"/>,
/// <see cref="FloatingPointControl.Rounding"/>, <see cref="FloatingPointControl.Scope(Mxcsr)"/>):
/// <c>Dispose</c> — the end of a <c>using</c>, on every path out, exceptions included — puts back
/// the words the thread had before. Scopes nest. A <c>ref struct</c>, so it cannot leave the
/// thread or the method that opened it; it allocates nothing.
/// </summary>
/// <remarks>
/// MXCSR's exception flags (bits 0–5) are status, not control: the ones raised inside the scope
/// stay raised after it, added to the ones raised before, as C's <c>feupdateenv</c> keeps them.
/// </remarks>
public ref struct FloatingPointScope
{
    [Flags]
    internal enum Restores : byte
    {
        Mxcsr = 1,
        X87ControlWord = 2,
    }

    private readonly Mxcsr _mxcsr;
    private readonly X87ControlWord _fcw;
    private readonly Restores _restores;

    internal FloatingPointScope(Mxcsr mxcsr, X87ControlWord fcw, Restores restores)
    {
        _mxcsr = mxcsr;
        _fcw = fcw;
        _restores = restores;
    }

    /// <summary>The MXCSR the scope restores (as it was when the scope began).</summary>
    public readonly Mxcsr PreviousMxcsr => _mxcsr;

    /// <summary>Restores the words the scope changed; the thread's own before it began, so nothing to check.</summary>
    public readonly void Dispose()
    {
        if ((_restores & Restores.Mxcsr) != 0)
        {
            Instructions.LdMxcsr(_mxcsr | (Instructions.StMxcsr() & Mxcsr.AllExceptionFlags));
        }

        if ((_restores & Restores.X87ControlWord) != 0)
        {
            Instructions.FldCw(_fcw);
        }
    }
}
