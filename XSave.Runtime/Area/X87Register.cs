namespace XSave;

/// <summary>
/// One 16-byte ST/MM slot of the legacy region: an 80-bit extended-precision value (or a 64-bit
/// MMX register in <see cref="Significand"/>) followed by six reserved bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct X87Register
{
    /// <summary>Bits 0–63: the significand, with the explicit integer bit at 63; also MMn.</summary>
    public ulong Significand;

    /// <summary>Bits 64–79: sign (bit 15) and biased exponent (bits 0–14).</summary>
    public ushort SignAndExponent;

    /// <summary>
    /// The 80-bit extended-precision value as the nearest <see cref="double"/> (for display:
    /// the raw bits stay in <see cref="Significand"/> and <see cref="SignAndExponent"/>).
    /// Values beyond double's range become infinities; pseudo-NaNs and unnormals read as NaN.
    /// </summary>
    public readonly double ToDouble()
    {
        bool negative = (SignAndExponent & 0x8000) != 0;
        int exponent = SignAndExponent & 0x7FFF;
        double magnitude;
        if (exponent == 0x7FFF)
        {
            // Intel SDM vol. 1 §4.8.3: integer bit set and fraction 0 is infinity; anything else NaN.
            magnitude = Significand == 0x8000_0000_0000_0000UL ? double.PositiveInfinity : double.NaN;
        }
        else if (exponent != 0 && (Significand >> 63) == 0)
        {
            magnitude = double.NaN; // unnormal: invalid operand on every x87 since the 387
        }
        else
        {
            // value = significand × 2^(exponent − 16383 − 63); denormals use exponent 1.
            magnitude = Math.ScaleB((double)Significand, Math.Max(exponent, 1) - 16383 - 63);
        }

        return negative ? -magnitude : magnitude;
    }

    /// <summary>The value and its raw bits, e.g. "1 (3FFF:8000000000000000)".</summary>
    public override readonly string ToString() =>
        $"{ToDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture)} ({SignAndExponent:X4}:{Significand:X16})";
}
