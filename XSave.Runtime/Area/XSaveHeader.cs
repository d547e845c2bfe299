namespace XSave;

/// <summary>
/// The 64-byte XSAVE header at byte 512 of the area (Intel SDM vol. 1 §13.4.2).
/// Bytes 16–63 are reserved and must be zero for XRSTOR.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = Size)]
public struct XSaveHeader
{
    /// <summary>The size of the header in bytes.</summary>
    public const int Size = 64;

    /// <summary>Bit 63 of XCOMP_BV: the area is in the compacted format.</summary>
    public const ulong CompactedFormat = RestoreChecks.CompactedFormat;

    private ulong _xstateBv;
    private ulong _xcompBv;
    private ulong _reserved2, _reserved3, _reserved4, _reserved5, _reserved6, _reserved7;

    /// <summary>XSTATE_BV (byte 0): bit i set means component i is saved; clear means it is in its init state.</summary>
    public XFeatures XStateBv { readonly get => (XFeatures)_xstateBv; set => _xstateBv = (ulong)value; }

    /// <summary>XCOMP_BV (byte 8): zero in the standard format; bit 63 plus the saved components in the compacted one.</summary>
    public ulong XCompBv { readonly get => _xcompBv; set => _xcompBv = value; }

    /// <summary>True when XCOMP_BV bit 63 marks the compacted format (XSAVEC/XSAVES output).</summary>
    public readonly bool IsCompacted => (_xcompBv & CompactedFormat) != 0;

    /// <summary>The components laid out in a compacted area (XCOMP_BV without bit 63).</summary>
    public readonly XFeatures CompactedFeatures => (XFeatures)(_xcompBv & ~CompactedFormat);

    /// <summary>The offset within the area of the first non-zero reserved header byte (528–575), or -1.</summary>
    internal readonly int FirstNonZeroReservedByte()
    {
        ReadOnlySpan<ulong> reserved = [_reserved2, _reserved3, _reserved4, _reserved5, _reserved6, _reserved7];
        for (int i = 0; i < reserved.Length; i++)
        {
            if (reserved[i] != 0)
            {
                // Little-endian: the lowest set byte of the word comes first in memory.
                return XSaveArea.HeaderOffset + 16 + (i * 8) + (System.Numerics.BitOperations.TrailingZeroCount(reserved[i]) / 8);
            }
        }

        return -1;
    }
}
