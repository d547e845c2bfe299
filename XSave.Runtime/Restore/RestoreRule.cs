namespace XSave;

/// <summary>
/// A rule an area must satisfy before XRSTOR/FXRSTOR may run: each one, broken, would raise #GP
/// (which ends the process), make the restore read past the page, or load a state the managed
/// thread cannot run in. The hazards (unmasked exceptions, key 0 locked, x87 registers in use)
/// can be waived with <see cref="RestoreHazards"/>. Each is a row of <c>RestoreChecks</c> (its
/// predicate, its place in the order both forms check, its waiver, its freestanding status) and
/// words in <see cref="RestoreValidation"/>; its number is the row's.
/// </summary>
public enum RestoreRule
{
    /// <summary>XSTATE_BV may only name components enabled in XCR0 (SDM vol. 1 §13.8.1).</summary>
    XStateBvOutsideXcr0 = RestoreChecks.XStateBvOutsideXcr0Rule,
    /// <summary>In the standard format (XCOMP_BV bit 63 clear) XCOMP_BV must be zero.</summary>
    XCompBvInStandardFormat = RestoreChecks.XCompBvInStandardFormatRule,
    /// <summary>The compacted format needs a CPU with XSAVEC (CPUID.(0DH,1):EAX[1]).</summary>
    CompactedFormatUnsupported = RestoreChecks.CompactedFormatUnsupportedRule,
    /// <summary>In the compacted format XCOMP_BV may only name components enabled in XCR0.</summary>
    XCompBvOutsideXcr0 = RestoreChecks.XCompBvOutsideXcr0Rule,
    /// <summary>In the compacted format every XSTATE_BV bit must also be set in XCOMP_BV.</summary>
    XStateBvOutsideXCompBv = RestoreChecks.XStateBvOutsideXCompBvRule,
    /// <summary>
    /// A compacted area may only lay out <see cref="XSaveArea.SafeFeatures"/>: anything else
    /// (AMX tile data, unknown components) would push later components past the page.
    /// </summary>
    XCompBvOutsidePage = RestoreChecks.XCompBvOutsidePageRule,
    /// <summary>
    /// Header bytes 16–63 (area bytes 528–575) are reserved and must be zero. XRSTOR faulted on
    /// bytes 16–23 (on all 48 in the compacted form) where measured; bytes 24–63 of a
    /// standard-format area are refused too: the SDM reserves them, and Linux refuses them on
    /// every path that loads a caller's state.
    /// </summary>
    HeaderReservedBytes = RestoreChecks.HeaderReservedBytesRule,
    /// <summary>MXCSR may only set bits the running CPU's MXCSR_MASK allows (SDM vol. 1 §11.6.6).</summary>
    MxcsrReservedBits = RestoreChecks.MxcsrReservedBitsRule,
    /// <summary>
    /// A standard-format area whose recorded layout (bytes 464–511) places a restored component
    /// elsewhere than this CPU does: XRSTOR would load the wrong bytes. Convert it first.
    /// </summary>
    LayoutMismatch = RestoreChecks.LayoutMismatchRule,
    /// <summary>
    /// MXCSR must mask every SSE exception (bits 7–12 set): managed code and the runtime execute
    /// SSE floating-point code, and the first operation that raises an unmasked exception traps
    /// (SIGFPE; on Windows a STATUS_FLOAT_… exception), which .NET does not turn into a managed
    /// exception: the process ends. Waived by <see cref="RestoreHazards.UnmaskedSseExceptions"/>.
    /// </summary>
    MxcsrExceptionUnmasked = RestoreChecks.MxcsrExceptionUnmaskedRule,
    /// <summary>
    /// FCW must mask every x87 exception (bits 0–5 set) when the x87 state is loaded: an unmasked
    /// one ends the process at the next x87 instruction that raises it, or at the very next x87
    /// instruction if FSW already records it (managed code has none; native libraries may). Waived by
    /// <see cref="RestoreHazards.UnmaskedX87Exceptions"/>.
    /// </summary>
    X87ExceptionUnmasked = RestoreChecks.X87ExceptionUnmaskedRule,
    /// <summary>
    /// A loaded PKRU must not deny access to or writes through protection key 0 (bits 0–1 clear):
    /// every page is key 0 unless pkey_mprotect said otherwise, so the thread's next memory
    /// access would fault. Waived by <see cref="RestoreHazards.KeyZeroLocked"/>.
    /// </summary>
    PkruLocksKeyZero = RestoreChecks.PkruLocksKeyZeroRule,
    /// <summary>
    /// A loaded x87 state must have an empty register stack (abridged FTW = 0): both x64 calling
    /// conventions require it at every call and return, so the next x87 code (a C library's
    /// <c>long double</c> functions, reached through P/Invoke) would overflow the stack and compute
    /// NaN without a word. Waived by <see cref="RestoreHazards.X87RegistersInUse"/>.
    /// </summary>
    X87RegistersInUse = RestoreChecks.X87RegistersInUseRule,
}
