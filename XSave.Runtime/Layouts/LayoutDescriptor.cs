namespace XSave;

/// <summary>
/// How an area remembers the layout of the CPU that wrote it: 48 bytes in the legacy region's
/// bytes 464–511, which the SDM leaves to software and no instruction writes (Linux keeps its own
/// descriptor there in signal frames). Copying the area copies the descriptor, so a state read on
/// another machine is never misread, and <see cref="XSaveArea.Load()"/> refuses it on a CPU whose
/// layout differs. Written as version 2, which names its components by bit, so any component
/// up to bit 63 has room (sixteen slots in the page at most: nine exist); version 1, written
/// before, is still read (docs/layouts.md).
/// <code>
/// version 2                                    version 1
/// 464  u32  magic "XSL2"                       464  u32  magic "XSL1"
/// 468  u64  components recorded (bit i: i)     468  u32  reserved, 0
/// 476  u16  offset of each, lowest bit first   472  u16  offset of component 2, 3, … 19 (0: none)
/// 508  u32  FNV-1a of bytes 464–507            508  u32  FNV-1a of bytes 464–507
/// </code>
/// </summary>
internal static class LayoutDescriptor
{
    public const int Offset = AreaOffsets.Descriptor;
    public const int Length = 48;
    private const uint Magic = 0x324C5358; // "XSL2"
    private const uint MagicVersion1 = 0x314C5358; // "XSL1"
    private const int MaskAt = 4, OffsetsAt = 12, ChecksumAt = 44;

    /// <summary>How many slots version 2 has room for.</summary>
    public const int MaxRecorded = (ChecksumAt - OffsetsAt) / sizeof(ushort);

    public static void Write(XSaveLayout layout, Span<byte> descriptor)
    {
        descriptor = descriptor[..Length];
        descriptor.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor, Magic);
        ulong recorded = 0;
        int count = 0;
        for (int i = 2; i < StateComponent.Count; i++)
        {
            // Slots past the page (AMX tile data) locate nothing an area holds: not recorded.
            if (layout.Slot(i) is { } slot && slot.End <= XSaveArea.Size)
            {
                if (count == MaxRecorded)
                {
                    throw new InvalidOperationException($"A layout descriptor records at most {MaxRecorded} slots; {layout.Name} has more in the page.");
                }

                BinaryPrimitives.WriteUInt16LittleEndian(descriptor[(OffsetsAt + (2 * count++))..], (ushort)slot.Offset);
                recorded |= 1UL << i;
            }
        }

        BinaryPrimitives.WriteUInt64LittleEndian(descriptor[MaskAt..], recorded);
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor[ChecksumAt..], Checksum(descriptor[..ChecksumAt]));
    }

    /// <summary>The recorded layout, or null when the bytes hold no valid descriptor.</summary>
    public static XSaveLayout? Read(ReadOnlySpan<byte> descriptor)
    {
        descriptor = descriptor[..Length];
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(descriptor);
        if ((magic != Magic && magic != MagicVersion1) ||
            BinaryPrimitives.ReadUInt32LittleEndian(descriptor[ChecksumAt..]) != Checksum(descriptor[..ChecksumAt]))
        {
            return null;
        }

        var slots = new ComponentSlot[StateComponent.Count];
        ulong recorded = magic == Magic ? BinaryPrimitives.ReadUInt64LittleEndian(descriptor[MaskAt..]) : 0;
        int count = 0;
        for (int i = 2; i < 64 && count < MaxRecorded; i++)
        {
            int offset;
            if (magic == MagicVersion1)
            {
                offset = i < 20 ? BinaryPrimitives.ReadUInt16LittleEndian(descriptor[(8 + (2 * (i - 2)))..]) : 0;
            }
            else if ((recorded & (1UL << i)) != 0)
            {
                offset = BinaryPrimitives.ReadUInt16LittleEndian(descriptor[(OffsetsAt + (2 * count++))..]);
            }
            else
            {
                continue;
            }

            // A component this library does not know (a newer writer's) has no size here: skipped.
            int size = XSaveLayout.ArchitecturalSize(i);
            if (offset != 0 && size > 0 && offset + size <= XSaveArea.Size)
            {
                slots[i] = new ComponentSlot(offset, size);
            }
        }

        // Slots past the page (AMX tile data) are never recorded, so they are not compared.
        XSaveLayout recordedLayout = XSaveLayout.FromSlots("recorded with the area", slots);
        foreach (XSaveLayout known in XSaveLayout.Known)
        {
            if (known.Agrees(recordedLayout, InPage(known)))
            {
                return known;
            }
        }

        return XSaveLayout.Current is { } current && current.Agrees(recordedLayout, InPage(current)) ? current : recordedLayout;
    }

    private static XFeatures InPage(XSaveLayout layout)
    {
        XFeatures inPage = (XFeatures)((1UL << StateComponent.Count) - 1);
        for (int i = 2; i < StateComponent.Count; i++)
        {
            if (layout.Slot(i) is { } slot && slot.End > XSaveArea.Size)
            {
                inPage &= ~(XFeatures)(1UL << i);
            }
        }

        return inPage;
    }

    /// <summary>FNV-1a of <paramref name="bytes"/>: bytes 464–507 give the value stored at 508.</summary>
    internal static uint Checksum(ReadOnlySpan<byte> bytes)
    {
        uint hash = 2166136261;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }
}
