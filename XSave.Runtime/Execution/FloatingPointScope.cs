namespace XSave;

/// <summary>
/// Control words set for a block of code (<see cref="FloatingPointControl.FlushToZero"/>,
/// <see cref="FloatingPointControl.Rounding"/>, <see cref="FloatingPointControl.Scope(Mxcsr)"/>):
/// <c>Dispose</c> — the end of a <c>using</c>, on every path out, exceptions included — puts back
/// the words the thread had before. Scopes nest. A <c>ref struct</c>, so it cannot leave the
/// thread or the method that opened it; it allocates nothing.
/// </summary>
/// <remarks>
/// The words come back exactly as they were, MXCSR's exception flags (bits 0–5) included: one
/// LDMXCSR, as C's <c>_mm_setcsr(previous)</c>. Code that wants the flags its block raised reads
/// <see cref="FloatingPointControl.Mxcsr"/> before the scope ends.
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
            Instructions.LdMxcsr(_mxcsr);
        }

        if ((_restores & Restores.X87ControlWord) != 0)
        {
            Instructions.FldCw(_fcw);
        }
    }
}
