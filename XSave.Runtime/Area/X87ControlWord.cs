using System;

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
    AllExceptionMasks = 0x3F,
    /// <summary>Bit 6, reserved: reads as 1 on every CPU (named so that FCW prints as flags, not a number).</summary>
    Reserved6 = 1 << 6,
    /// <summary>PC bit 0 (bits 8–9: 00 single, 10 double, 11 extended precision).</summary>
    PrecisionControl0 = 1 << 8,
    /// <summary>PC bit 1.</summary>
    PrecisionControl1 = 1 << 9,
    /// <summary>RC bit 0 (bits 10–11: 00 nearest, 01 down, 10 up, 11 toward zero).</summary>
    RoundingControl0 = 1 << 10,
    /// <summary>RC bit 1.</summary>
    RoundingControl1 = 1 << 11,
    /// <summary>X: infinity control, kept for 287 compatibility.</summary>
    InfinityControl = 1 << 12,
}
