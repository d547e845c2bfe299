namespace XSave.Generators.Freestanding;

/// <summary>
/// What a freestanding thunk returns, emitted into the project as <c>XSave.XSaveStatus</c> (one
/// definition: the machine code's NotPrivileged and the emitted enum both come from here; the
/// statuses of broken restore rules are the rule rows' own, in RestoreChecks).
/// </summary>
internal enum FreestandingStatus
{
    Ok,
    NotInstalled,
    MapRefused,
    NotPrivileged,
    NotSupported,
    NotEnabled,
    NullArea,
    MisalignedArea,
    InvalidHeader = RestoreChecks.InvalidHeaderStatus,
    InvalidMxcsr = RestoreChecks.InvalidMxcsrStatus,
    UnmaskedExceptions = RestoreChecks.UnmaskedExceptionsStatus,
    KeyZeroLocked = RestoreChecks.KeyZeroLockedStatus,
    InvalidRegister,
    InvalidXcr0,
    X87RegistersInUse = RestoreChecks.X87RegistersInUseStatus,
}

internal static class FreestandingStatusText
{
    /// <summary>The documentation each member carries in the emitted enum.</summary>
    public static string Describe(FreestandingStatus status) => status switch
    {
        FreestandingStatus.Ok => "The instruction ran.",
        FreestandingStatus.NotInstalled => "XSaveThunks.Install has not mapped the thunks yet: nothing ran.",
        FreestandingStatus.MapRefused => "XSaveThunks.Install got no memory: its allocator returned null, or its protector returned false.",
        FreestandingStatus.NotPrivileged => "The code runs above CPL 0, where XSETBV and CR4 raise #GP: the machine code checked CS and did not execute them.",
        FreestandingStatus.NotSupported => "CPUID says this CPU lacks the instruction (XSAVE, XSAVEOPT, XSAVEC, FXSR or XGETBV with ECX=1).",
        FreestandingStatus.NotEnabled => "CR4.OSXSAVE is clear, so the instruction would raise #UD: enable it first (EnableOsXSave).",
        FreestandingStatus.NullArea => "An area pointer is null.",
        FreestandingStatus.MisalignedArea => "An area is not 64-byte aligned (16 for FXSAVE/FXRSTOR): #GP.",
        FreestandingStatus.InvalidHeader => "The XSAVE header breaks an XRSTOR rule (XSTATE_BV or XCOMP_BV outside XCR0, XSTATE_BV outside XCOMP_BV, XCOMP_BV without bit 63, reserved header bytes 16-63 not zero): #GP.",
        FreestandingStatus.InvalidMxcsr => "MXCSR sets a bit outside this CPU's MXCSR_MASK: #GP.",
        FreestandingStatus.UnmaskedExceptions => "The restore would clear an exception mask in MXCSR (bits 7-12) or FCW (bits 0-5): the next faulting operation would raise #XM or #MF.",
        FreestandingStatus.KeyZeroLocked => "The restore would load a PKRU that denies access to protection key 0, the key of every page by default.",
        FreestandingStatus.InvalidRegister => "The XCR number is not one this CPU has (XGETBV reads 0, and 1 where CPUID.(0DH,1):EAX[2]; XSETBV writes 0): #GP.",
        FreestandingStatus.InvalidXcr0 => "XSETBV would refuse the value (x87 clear, a bit CPUID.(0DH,0) does not offer, AVX without SSE, AVX-512, MPX or AMX bits not set together): #GP.",
        FreestandingStatus.X87RegistersInUse => "The restore would load x87 registers in use (abridged FTW not 0), but both x64 calling conventions require an empty x87 stack at every call and return: the next x87 code would overflow it and compute NaN.",
        _ => status.ToString(),
    };
}
