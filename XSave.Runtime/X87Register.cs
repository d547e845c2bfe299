using System.Runtime.InteropServices;

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
}
