namespace XSave;

/// <summary>
/// States XRSTOR accepts but the managed thread cannot run in: a validated restore refuses each
/// one unless the caller names it here. What they lead to is no managed exception: .NET ends
/// the process at the first instruction that trips one, and no catch block sees it
/// (docs/design.md, "What an opt-in lets happen"). Name one only when nothing that can trip it
/// runs before a later restore puts a safe state back: a state loaded to be saved again or handed
/// to machine code written for it, a thread that set up its own protection keys.
/// </summary>
[Flags]
public enum RestoreHazards
{
    /// <summary>Refuse every hazard (the default).</summary>
    None = 0,
    /// <summary>Allow an MXCSR that unmasks SSE exceptions (<see cref="RestoreRule.MxcsrExceptionUnmasked"/>).</summary>
    UnmaskedSseExceptions = (int)RestoreChecks.UnmaskedSseExceptionsWaiver,
    /// <summary>Allow an FCW that unmasks x87 exceptions (<see cref="RestoreRule.X87ExceptionUnmasked"/>).</summary>
    UnmaskedX87Exceptions = (int)RestoreChecks.UnmaskedX87ExceptionsWaiver,
    /// <summary>Allow a PKRU that denies access to or writes through key 0 (<see cref="RestoreRule.PkruLocksKeyZero"/>).</summary>
    KeyZeroLocked = (int)RestoreChecks.KeyZeroLockedWaiver,
    /// <summary>Allow an x87 state whose register stack is not empty (<see cref="RestoreRule.X87RegistersInUse"/>).</summary>
    X87RegistersInUse = (int)RestoreChecks.X87RegistersInUseWaiver,
}
