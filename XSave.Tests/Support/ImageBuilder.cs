using System.Buffers.Binary;

namespace XSave.Tests.Support;

/// <summary>
/// Builds XSAVE images byte by byte from a layout's offsets, as a CPU of that vendor would write
/// them: the fixtures for reading the same registers out of Intel and AMD layouts.
/// </summary>
internal sealed class ImageBuilder
{
    public static readonly XFeatures Avx512Pkru = XFeatures.X87 | XFeatures.Sse | XFeatures.Avx | XFeatures.Avx512Opmask |
        XFeatures.Avx512ZmmHi256 | XFeatures.Avx512Hi16Zmm | XFeatures.Pkru;

    private readonly XSaveLayout _layout;

    public ImageBuilder(XSaveLayout layout, XFeatures xcr0)
    {
        _layout = layout;
        Bytes = new byte[layout.StandardSize(xcr0)];
        BinaryPrimitives.WriteUInt16LittleEndian(Bytes, 0x037F);
        BinaryPrimitives.WriteUInt32LittleEndian(Bytes.AsSpan(24), 0x1F80);
        BinaryPrimitives.WriteUInt32LittleEndian(Bytes.AsSpan(28), 0xFFFF);
        BinaryPrimitives.WriteUInt64LittleEndian(Bytes.AsSpan(464), (ulong)xcr0); // as Linux's NT_X86_XSTATE does
        BinaryPrimitives.WriteUInt64LittleEndian(Bytes.AsSpan(512), (ulong)xcr0);
    }

    public byte[] Bytes { get; }

    /// <summary>The test's register values: byte j of register r's 64 bytes.</summary>
    public static byte Pattern(int register, int j) => (byte)((register * 17) + j + 1);

    public static ulong Opmask(int k) => 0x0101_0101_0101_0101UL * (ulong)(k + 1) ^ 0xF0F0;

    public const uint PkruValue = 0x5555_0004;

    public ImageBuilder WithRegisters()
    {
        for (int r = 0; r < 32; r++)
        {
            for (int j = 0; j < 64; j++)
            {
                Place(r, j, Pattern(r, j));
            }
        }

        for (int k = 0; k < 8; k++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(Bytes.AsSpan(Slot(XFeatures.Avx512Opmask).Offset + (8 * k)), Opmask(k));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(Bytes.AsSpan(Slot(XFeatures.Pkru).Offset), PkruValue);
        return this;
    }

    private void Place(int register, int j, byte value)
    {
        int offset = register < 16
            ? j < 16 ? 160 + (16 * register) + j          // XMM in the legacy region
            : j < 32 ? Slot(XFeatures.Avx).Offset + (16 * register) + (j - 16)   // YMM_Hi128
            : Slot(XFeatures.Avx512ZmmHi256).Offset + (32 * register) + (j - 32)            // ZMM_Hi256
            : Slot(XFeatures.Avx512Hi16Zmm).Offset + (64 * (register - 16)) + j;           // Hi16_ZMM
        Bytes[offset] = value;
    }

    private ComponentSlot Slot(XFeatures component) => _layout.Slot(component)!.Value;
}
