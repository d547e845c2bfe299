namespace XSave;

/// <summary>The x87 FPU control word, FCW (Intel SDM vol. 1 §8.1.5, figure 8-6).</summary>
[Flags]
public enum X87ControlWord : ushort
{
    /// <summary>IM: invalid-operation exception mask.</summary>
    InvalidOperationMask = 1 << 0,
    /// <summary>DM: denormal-operand exception mask.</summary>
    DenormalOperandMask = 1 << 1,
    /// <summary>ZM: zero-divide exception mask.</summary>
    ZeroDivideMask = 1 << 2,
    /// <summary>OM: overflow exception mask.</summary>
    OverflowMask = 1 << 3,
    /// <summary>UM: underflow exception mask.</summary>
    UnderflowMask = 1 << 4,
    /// <summary>PM: precision exception mask.</summary>
    PrecisionMask = 1 << 5,
    /// <summary>All six exception masks.</summary>
    AllExceptionMasks = RestoreChecks.FcwExceptionMasks,
    /// <summary>Bit 6, reserved: reads as 1 on every CPU (named so that FCW prints as flags, not a number).</summary>
    Reserved6 = 1 << 6,
    // PC (bits 8–9: 00 single, 01 reserved, 10 double, 11 extended) and RC (bits 10–11: 00
    // nearest, 01 down, 10 up, 11 toward zero), named by setting so that ToString() says it:
    // Linux's 0x037F prints "AllExceptionMasks, Reserved6, ExtendedPrecision", Windows's 0x027F "…, DoublePrecision".

    /// <summary>PC = 01, reserved (PC bit 0).</summary>
    ReservedPrecision = 1 << 8,
    /// <summary>PC = 10: double precision, 53-bit significand (PC bit 1; Windows's default).</summary>
    DoublePrecision = 1 << 9,
    /// <summary>PC = 11: extended precision, 64-bit significand (Linux's default, the init value); also the mask of both PC bits.</summary>
    ExtendedPrecision = ReservedPrecision | DoublePrecision,
    /// <summary>RC = 01: round down, toward −∞ (RC bit 0).</summary>
    RoundDown = 1 << 10,
    /// <summary>RC = 10: round up, toward +∞ (RC bit 1).</summary>
    RoundUp = 1 << 11,
    /// <summary>RC = 11: round toward zero; also the mask of both RC bits.</summary>
    RoundTowardZero = RoundDown | RoundUp,
    /// <summary>X: infinity control, kept for 287 compatibility.</summary>
    InfinityControl = 1 << 12,
}
