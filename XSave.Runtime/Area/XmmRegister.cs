using System.Runtime.Intrinsics;

namespace XSave;

/// <summary>One 128-bit XMM register as stored in memory (little-endian halves).</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct XmmRegister
{
    /// <summary>Bits 0–63.</summary>
    public ulong Low;

    /// <summary>Bits 64–127.</summary>
    public ulong High;

    /// <summary>Creates a register from its two halves.</summary>
    public XmmRegister(ulong low, ulong high)
    {
        Low = low;
        High = high;
    }

    /// <summary>The register as a vector, for lane-wise reading.</summary>
    public readonly Vector128<ulong> AsVector128() => Vector128.Create(Low, High);

    /// <inheritdoc/>
    public override readonly string ToString() => $"{High:X16}{Low:X16}";
}
