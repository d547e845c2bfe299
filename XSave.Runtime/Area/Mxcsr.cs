namespace XSave;

/// <summary>The SSE control and status register, MXCSR (Intel SDM vol. 1 §10.2.3, figure 10-3).</summary>
[Flags]
public enum Mxcsr : uint
{
    /// <summary>IE: invalid-operation flag.</summary>
    InvalidOperation = 1 << 0,
    /// <summary>DE: denormal flag.</summary>
    Denormal = 1 << 1,
    /// <summary>ZE: divide-by-zero flag.</summary>
    ZeroDivide = 1 << 2,
    /// <summary>OE: overflow flag.</summary>
    Overflow = 1 << 3,
    /// <summary>UE: underflow flag.</summary>
    Underflow = 1 << 4,
    /// <summary>PE: precision flag.</summary>
    Precision = 1 << 5,
    /// <summary>DAZ: denormals are zeros.</summary>
    DenormalsAreZeros = 1 << 6,
    /// <summary>All six exception flags (bits 0–5): sticky status, set by the operations that raise them.</summary>
    AllExceptionFlags = InvalidOperation | Denormal | ZeroDivide | Overflow | Underflow | Precision,
    /// <summary>IM: invalid-operation mask.</summary>
    InvalidOperationMask = 1 << 7,
    /// <summary>DM: denormal mask.</summary>
    DenormalMask = 1 << 8,
    /// <summary>ZM: divide-by-zero mask.</summary>
    ZeroDivideMask = 1 << 9,
    /// <summary>OM: overflow mask.</summary>
    OverflowMask = 1 << 10,
    /// <summary>UM: underflow mask.</summary>
    UnderflowMask = 1 << 11,
    /// <summary>PM: precision mask.</summary>
    PrecisionMask = 1 << 12,
    /// <summary>All six exception masks (the init value 0x1F80 is exactly these).</summary>
    AllExceptionMasks = RestoreChecks.MxcsrExceptionMasks,
    // RC, bits 13–14: 00 nearest (no name: nothing set), 01 down, 10 up, 11 toward zero. Named by
    // mode, so that ToString() says the mode: "AllExceptionMasks, RoundUp", not two bit names.

    /// <summary>RC = 01: round down, toward −∞ (RC bit 0).</summary>
    RoundDown = 1 << 13,
    /// <summary>RC = 10: round up, toward +∞ (RC bit 1).</summary>
    RoundUp = 1 << 14,
    /// <summary>RC = 11: round toward zero (truncate); also the mask of both RC bits.</summary>
    RoundTowardZero = RoundDown | RoundUp,
    /// <summary>FZ: flush to zero.</summary>
    FlushToZero = 1 << 15,
    /// <summary>MM: misaligned-exception mask (AMD APM vol. 4, only where MXCSR_MASK allows it).</summary>
    MisalignedExceptionMask = 1 << 17,
}
