namespace XSave;

/// <summary>
/// This thread's floating-point control words, each read or written with its one instruction:
/// MXCSR (STMXCSR/LDMXCSR: the rounding, flush-to-zero, denormals-are-zero and exception masks
/// of the SSE and AVX arithmetic .NET's <see cref="float"/>, <see cref="double"/> and vectors
/// use) and the x87 FCW (FNSTCW/FLDCW: precision, rounding and masks of x87 code, which native
/// libraries still run). A write is checked by the rules a restore uses and refused with the
/// same <see cref="RestoreRule"/>, unless the caller allows the hazard. Needs x86-64, not XSAVE.
/// </summary>
/// <remarks>
/// What a changed MXCSR does and does not affect in .NET code (the JIT folds constant
/// expressions at compile time, and may reuse a value computed before the change) is measured in
/// docs/design.md, "What MXCSR changes in .NET code".
/// </remarks>
public static class FloatingPointControl
{
    /// <summary>This thread's MXCSR (STMXCSR).</summary>
    /// <exception cref="PlatformNotSupportedException">This process is not x86-64.</exception>
    public static Mxcsr Mxcsr => Instructions.StMxcsr();

    /// <summary>This thread's x87 control word (FNSTCW).</summary>
    /// <exception cref="PlatformNotSupportedException">This process is not x86-64.</exception>
    public static X87ControlWord X87ControlWord => Instructions.FnStCw();

    /// <summary>True when this CPU has denormals-are-zero (MXCSR_MASK bit 6; every CPU since the Pentium 4's later steppings).</summary>
    /// <exception cref="PlatformNotSupportedException">This process is not x86-64.</exception>
    public static bool HasDenormalsAreZeros => (Processor.LegacyMxcsrMask & (uint)Mxcsr.DenormalsAreZeros) != 0;

    /// <summary>Loads <paramref name="value"/> into MXCSR (LDMXCSR), after the checks a restore makes.</summary>
    /// <param name="value">The new MXCSR, flags included.</param>
    /// <param name="allowed">The hazards the caller accepts (<see cref="RestoreHazards.UnmaskedSseExceptions"/>).</param>
    /// <exception cref="InvalidXSaveAreaException">A bit outside this CPU's MXCSR_MASK (<see cref="RestoreRule.MxcsrReservedBits"/>: LDMXCSR would raise #GP), or an exception unmasked and not allowed (<see cref="RestoreRule.MxcsrExceptionUnmasked"/>). Nothing was loaded.</exception>
    /// <exception cref="PlatformNotSupportedException">This process is not x86-64.</exception>
    public static void SetMxcsr(Mxcsr value, RestoreHazards allowed = RestoreHazards.None)
    {
        RestoreValidation.ThrowIfInvalidMxcsr((uint)value, Processor.LegacyMxcsrMask, allowed);
        Instructions.LdMxcsr(value);
    }

    /// <summary>Loads <paramref name="value"/> into the x87 control word (FLDCW), after the checks a restore makes.</summary>
    /// <param name="value">The new FCW.</param>
    /// <param name="allowed">The hazards the caller accepts (<see cref="RestoreHazards.UnmaskedX87Exceptions"/>).</param>
    /// <exception cref="InvalidXSaveAreaException">An exception unmasked and not allowed (<see cref="RestoreRule.X87ExceptionUnmasked"/>). Nothing was loaded.</exception>
    /// <exception cref="PlatformNotSupportedException">This process is not x86-64.</exception>
    public static void SetX87ControlWord(X87ControlWord value, RestoreHazards allowed = RestoreHazards.None)
    {
        Processor.ThrowIfNotX64();
        RestoreValidation.ThrowIfInvalidFcw((ushort)value, allowed);
        Instructions.FldCw(value);
    }

    /// <summary>
    /// Flush-to-zero, and denormals-are-zero where the CPU has it, until the scope ends: subnormal
    /// results become zero and subnormal inputs read as zero, so code decaying into them (an IIR
    /// filter's tail, say) keeps its speed. <c>using var scope = FloatingPointControl.FlushToZero();</c>
    /// </summary>
    /// <returns>The scope: disposing it restores the previous MXCSR.</returns>
    /// <exception cref="PlatformNotSupportedException">This process is not x86-64.</exception>
    public static FloatingPointScope FlushToZero()
    {
        Mxcsr added = s_flushBits != 0 ? s_flushBits : FlushBits();
        Mxcsr previous = Instructions.StMxcsr();
        Instructions.LdMxcsr(previous | added); // control bits only, each one this CPU accepts: nothing to check
        return new FloatingPointScope(previous, default, FloatingPointScope.Restores.Mxcsr);
    }

    // FTZ, and DAZ where MXCSR_MASK has it: asked once. (Asking the processor on every scope cost
    // a flush-to-zero scope 3.4 times its own price under NativeAOT, 2026-12-07, Zen 3.)
    private static Mxcsr s_flushBits;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Mxcsr FlushBits() =>
        s_flushBits = Mxcsr.FlushToZero | (HasDenormalsAreZeros ? Mxcsr.DenormalsAreZeros : 0);

    /// <summary>MXCSR's rounding <paramref name="mode"/> until the scope ends (the SSE and AVX arithmetic's; x87's is FCW's).</summary>
    /// <param name="mode">The rounding mode.</param>
    /// <returns>The scope: disposing it restores the previous MXCSR.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not a defined mode.</exception>
    /// <exception cref="PlatformNotSupportedException">This process is not x86-64.</exception>
    public static FloatingPointScope Rounding(RoundingControl mode)
    {
        if ((uint)mode > (uint)RoundingControl.TowardZero)
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "A rounding mode is one of RoundingControl's four.");
        }

        Mxcsr previous = Instructions.StMxcsr();
        Instructions.LdMxcsr((previous & ~Mxcsr.RoundTowardZero) | (Mxcsr)((uint)mode << 13));
        return new FloatingPointScope(previous, default, FloatingPointScope.Restores.Mxcsr);
    }

    /// <summary>MXCSR set to <paramref name="mxcsr"/> until the scope ends, checked as <see cref="SetMxcsr"/> checks it; no hazard allowed.</summary>
    /// <param name="mxcsr">The MXCSR for the scope.</param>
    /// <returns>The scope: disposing it restores the previous MXCSR.</returns>
    /// <exception cref="InvalidXSaveAreaException">As <see cref="SetMxcsr"/>; nothing was loaded.</exception>
    /// <exception cref="PlatformNotSupportedException">This process is not x86-64.</exception>
    public static FloatingPointScope Scope(Mxcsr mxcsr) => Scope(mxcsr, RestoreHazards.None);

    /// <summary>MXCSR set to <paramref name="mxcsr"/> until the scope ends, checked as <see cref="SetMxcsr"/> checks it.</summary>
    /// <param name="mxcsr">The MXCSR for the scope.</param>
    /// <param name="allowed">The hazards the caller accepts.</param>
    /// <returns>The scope: disposing it restores the previous MXCSR.</returns>
    /// <exception cref="InvalidXSaveAreaException">As <see cref="SetMxcsr"/>; nothing was loaded.</exception>
    /// <exception cref="PlatformNotSupportedException">This process is not x86-64.</exception>
    public static FloatingPointScope Scope(Mxcsr mxcsr, RestoreHazards allowed)
    {
        RestoreValidation.ThrowIfInvalidMxcsr((uint)mxcsr, Processor.LegacyMxcsrMask, allowed);
        Mxcsr previous = Instructions.StMxcsr();
        Instructions.LdMxcsr(mxcsr);
        return new FloatingPointScope(previous, default, FloatingPointScope.Restores.Mxcsr);
    }

    /// <summary>
    /// Runs <paramref name="body"/> with MXCSR set to <paramref name="mxcsr"/> (checked as
    /// <see cref="SetMxcsr"/> checks it, no hazard allowed), then puts the previous MXCSR back —
    /// also for a <c>catch</c> outside: an exception leaving <paramref name="body"/> is caught
    /// here, the word restored, and rethrown, so the runtime resumes that catch with the previous
    /// word. (A scope's <c>Dispose</c> runs too early for that: .NET 8, and .NET 10 on Windows,
    /// resume a catch with the MXCSR of the throw.)
    /// </summary>
    /// <param name="mxcsr">The MXCSR for the body.</param>
    /// <param name="body">The code to run under it.</param>
    /// <exception cref="InvalidXSaveAreaException">As <see cref="SetMxcsr"/>; nothing was loaded or run.</exception>
    /// <exception cref="PlatformNotSupportedException">This process is not x86-64.</exception>
    public static void Run(Mxcsr mxcsr, Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Mxcsr previous = Enter(mxcsr);
        try
        {
            body();
        }
        catch
        {
            Instructions.LdMxcsr(previous); // before the rethrow captures the thread's context
            throw;
        }

        Instructions.LdMxcsr(previous);
    }

    /// <summary><see cref="Run(Mxcsr, Action)"/> for a body with a result.</summary>
    /// <typeparam name="T">The result's type.</typeparam>
    /// <param name="mxcsr">The MXCSR for the body.</param>
    /// <param name="body">The code to run under it.</param>
    /// <returns>What <paramref name="body"/> returned.</returns>
    /// <exception cref="InvalidXSaveAreaException">As <see cref="SetMxcsr"/>; nothing was loaded or run.</exception>
    /// <exception cref="PlatformNotSupportedException">This process is not x86-64.</exception>
    public static T Run<T>(Mxcsr mxcsr, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Mxcsr previous = Enter(mxcsr);
        T result;
        try
        {
            result = body();
        }
        catch
        {
            Instructions.LdMxcsr(previous); // before the rethrow captures the thread's context
            throw;
        }

        Instructions.LdMxcsr(previous);
        return result;
    }

    // Checks and loads a word, returning the one it replaced.
    private static Mxcsr Enter(Mxcsr mxcsr)
    {
        RestoreValidation.ThrowIfInvalidMxcsr((uint)mxcsr, Processor.LegacyMxcsrMask, RestoreHazards.None);
        Mxcsr previous = Instructions.StMxcsr();
        Instructions.LdMxcsr(mxcsr);
        return previous;
    }

    /// <summary>MXCSR and FCW set until the scope ends, both checked before either is loaded.</summary>
    /// <param name="mxcsr">The MXCSR for the scope.</param>
    /// <param name="fcw">The x87 control word for the scope.</param>
    /// <param name="allowed">The hazards the caller accepts.</param>
    /// <returns>The scope: disposing it restores both previous words.</returns>
    /// <exception cref="InvalidXSaveAreaException">As <see cref="SetMxcsr"/> or <see cref="SetX87ControlWord"/>; nothing was loaded.</exception>
    /// <exception cref="PlatformNotSupportedException">This process is not x86-64.</exception>
    public static FloatingPointScope Scope(Mxcsr mxcsr, X87ControlWord fcw, RestoreHazards allowed = RestoreHazards.None)
    {
        RestoreValidation.ThrowIfInvalidMxcsr((uint)mxcsr, Processor.LegacyMxcsrMask, allowed);
        RestoreValidation.ThrowIfInvalidFcw((ushort)fcw, allowed);
        Mxcsr previous = Instructions.StMxcsr();
        X87ControlWord previousFcw = Instructions.FnStCw();
        Instructions.LdMxcsr(mxcsr);
        Instructions.FldCw(fcw);
        return new FloatingPointScope(previous, previousFcw, FloatingPointScope.Restores.Mxcsr | FloatingPointScope.Restores.X87ControlWord);
    }
}
