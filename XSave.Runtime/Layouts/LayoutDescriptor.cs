using System;
using System.Buffers.Binary;

namespace XSave;

/// <summary>
/// How an area remembers the layout of the CPU that wrote it: 48 bytes in the legacy region's
/// bytes 464–511, which the SDM leaves to software and no instruction writes (Linux keeps its own
/// descriptor there in signal frames). Copying the area copies the descriptor, so a state read on
/// another machine is never misread, and <see cref="XSaveArea.Load()"/> refuses it on a CPU whose
/// layout differs.
/// <code>
/// 464  u32  magic "XSL1"
/// 468  u32  reserved, 0
/// 472  u16  standard offset of component 2, 3, … 19 (0: no slot)
/// 508  u32  FNV-1a of bytes 464–507
/// </code>
/// </summary>
internal static class LayoutDescriptor
{
    public const int Offset = 464;
    public const int Length = 48;
    private const uint Magic = 0x314C5358; // "XSL1"
    private const XFeatures AllComponents = (XFeatures)((1UL << XSaveLayout.ComponentCount) - 1);

    public static void Write(XSaveLayout layout, Span<byte> descriptor)
    {
        descriptor = descriptor[..Length];
        descriptor.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor, Magic);
        for (int i = 2; i < XSaveLayout.ComponentCount; i++)
        {
            if (layout.Slot(i) is { } slot)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(descriptor[(8 + (2 * (i - 2)))..], (ushort)slot.Offset);
            }
        }

        BinaryPrimitives.WriteUInt32LittleEndian(descriptor[44..], Checksum(descriptor[..44]));
    }

    /// <summary>The recorded layout, or null when the bytes hold no valid descriptor.</summary>
    public static XSaveLayout? Read(ReadOnlySpan<byte> descriptor)
    {
        descriptor = descriptor[..Length];
        if (BinaryPrimitives.ReadUInt32LittleEndian(descriptor) != Magic ||
            BinaryPrimitives.ReadUInt32LittleEndian(descriptor[44..]) != Checksum(descriptor[..44]))
        {
            return null;
        }

        var slots = new ComponentSlot[XSaveLayout.ComponentCount];
        for (int i = 2; i < XSaveLayout.ComponentCount; i++)
        {
            int offset = BinaryPrimitives.ReadUInt16LittleEndian(descriptor[(8 + (2 * (i - 2)))..]);
            int size = XSaveLayout.ArchitecturalSize(i);
            if (offset != 0 && size > 0 && offset + size <= XSaveArea.Size)
            {
                slots[i] = new ComponentSlot(offset, size);
            }
        }

        // Slots past the page (AMX tile data) are never recorded, so they are not compared.
        XSaveLayout recorded = XSaveLayout.FromSlots("recorded with the area", slots);
        foreach (XSaveLayout known in XSaveLayout.Known)
        {
            if (known.Agrees(recorded, InPage(known)))
            {
                return known;
            }
        }

        return XSaveLayout.Current is { } current && current.Agrees(recorded, InPage(current)) ? current : recorded;
    }

    private static XFeatures InPage(XSaveLayout layout)
    {
        XFeatures inPage = AllComponents;
        for (int i = 2; i < XSaveLayout.ComponentCount; i++)
        {
            if (layout.Slot(i) is { } slot && slot.End > XSaveArea.Size)
            {
                inPage &= ~(XFeatures)(1UL << i);
            }
        }

        return inPage;
    }

    private static uint Checksum(ReadOnlySpan<byte> bytes)
    {
        uint hash = 2166136261;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }
}
