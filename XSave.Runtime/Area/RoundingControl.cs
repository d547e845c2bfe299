namespace XSave;

/// <summary>
/// The rounding mode of MXCSR (bits 13–14) and of FCW (bits 10–11): the same two-bit encoding in
/// both (Intel SDM vol. 1 §4.8.4, table 4-8).
/// </summary>
public enum RoundingControl
{
    /// <summary>Round to nearest, ties to even (the init state).</summary>
    Nearest = 0,
    /// <summary>Round down, toward negative infinity.</summary>
    Down = 1,
    /// <summary>Round up, toward positive infinity.</summary>
    Up = 2,
    /// <summary>Round toward zero (truncate).</summary>
    TowardZero = 3,
}
