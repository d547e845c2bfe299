namespace XSave;

/// <summary>A 256-bit YMM register: XMM (bits 0–127) and its AVX upper half (bits 128–255).</summary>
[StructLayout(LayoutKind.Sequential, Size = 32)]
public readonly record struct YmmRegister(XmmRegister Low, XmmRegister High)
{
    /// <inheritdoc/>
    public override string ToString() => $"{High}{Low}";
}

/// <summary>A 512-bit ZMM register: YMM (bits 0–255) and its upper 256 bits.</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
public readonly record struct ZmmRegister(YmmRegister Low, YmmRegister High)
{
    /// <inheritdoc/>
    public override string ToString() => $"{High}{Low}";
}

/// <summary>An MPX bound register BND0–BND3: lower bound and (one's-complemented) upper bound.</summary>
/// <param name="Lower">LB, bits 0–63.</param>
/// <param name="Upper">UB, bits 64–127, stored inverted as the hardware keeps it.</param>
public readonly record struct BoundRegister(ulong Lower, ulong Upper);
