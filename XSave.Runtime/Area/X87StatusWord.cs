namespace XSave;

/// <summary>The x87 FPU status word, FSW (Intel SDM vol. 1 §8.1.3, figure 8-4).</summary>
[Flags]
public enum X87StatusWord : ushort
{
    /// <summary>IE: invalid-operation exception flag.</summary>
    InvalidOperation = 1 << 0,
    /// <summary>DE: denormal-operand exception flag.</summary>
    DenormalOperand = 1 << 1,
    /// <summary>ZE: zero-divide exception flag.</summary>
    ZeroDivide = 1 << 2,
    /// <summary>OE: overflow exception flag.</summary>
    Overflow = 1 << 3,
    /// <summary>UE: underflow exception flag.</summary>
    Underflow = 1 << 4,
    /// <summary>PE: precision exception flag.</summary>
    Precision = 1 << 5,
    /// <summary>SF: stack fault.</summary>
    StackFault = 1 << 6,
    /// <summary>ES: exception summary status.</summary>
    ExceptionSummary = 1 << 7,
    /// <summary>C0 condition code.</summary>
    C0 = 1 << 8,
    /// <summary>C1 condition code.</summary>
    C1 = 1 << 9,
    /// <summary>C2 condition code.</summary>
    C2 = 1 << 10,
    /// <summary>TOP bit 0 (TOP, bits 11–13, is the top-of-stack pointer; read it with <see cref="LegacyRegion.Top"/>).</summary>
    Top0 = 1 << 11,
    /// <summary>TOP bit 1.</summary>
    Top1 = 1 << 12,
    /// <summary>TOP bit 2.</summary>
    Top2 = 1 << 13,
    /// <summary>TOP, the top-of-stack pointer (bits 11–13); read it with <see cref="LegacyRegion.Top"/>.</summary>
    TopMask = Top0 | Top1 | Top2,
    /// <summary>C3 condition code.</summary>
    C3 = 1 << 14,
    /// <summary>B: FPU busy.</summary>
    Busy = 1 << 15,
}
