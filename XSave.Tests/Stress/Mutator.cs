using System;
using System.Buffers.Binary;

namespace XSave.Stress;

/// <summary>
/// Builds fuzz case <c>i</c> from a seed area and a deterministic RNG, so a case that crashed a
/// worker can be rebuilt by the driver from its index alone.
/// </summary>
internal static class Mutator
{
    private const int Operations = 17;

    public static void Build(long seed, long index, ReadOnlySpan<XSaveArea> seeds, CpuProfile cpu, ref XSaveArea area)
    {
        var random = new Random(CaseSeed.Of(seed, index));
        area = seeds[random.Next(seeds.Length)];
        int count = 1 + random.Next(4);
        for (int i = 0; i < count; i++)
        {
            Mutate(random, ref area, cpu);
        }
    }

    private static void Mutate(Random random, ref XSaveArea area, CpuProfile cpu)
    {
        XFeatures xcr0 = cpu.Xcr0;
        Span<byte> bytes = area.AsSpan();
        Span<byte> header = bytes.Slice(512, 64);
        switch (random.Next(Operations))
        {
            case 0: // flip one header bit
                header[random.Next(64)] ^= (byte)(1 << random.Next(8));
                break;
            case 1: // XSTATE_BV: a subset of XCR0, sometimes with a bit beyond it
                ulong state = (ulong)xcr0 & (ulong)random.NextInt64();
                if (random.Next(4) == 0)
                {
                    state |= 1UL << random.Next(64);
                }

                BinaryPrimitives.WriteUInt64LittleEndian(header, state);
                break;
            case 2: // XCOMP_BV: compacted or not, a subset of XCR0, sometimes with extra bits
                ulong layout = (ulong)xcr0 & (ulong)random.NextInt64();
                if (random.Next(2) == 0)
                {
                    layout |= XSaveHeader.CompactedFormat;
                }

                if (random.Next(4) == 0)
                {
                    layout |= 1UL << random.Next(63);
                }

                BinaryPrimitives.WriteUInt64LittleEndian(header[8..], layout);
                break;
            case 3: // one reserved header byte
                header[16 + random.Next(48)] = (byte)random.Next(256);
                break;
            case 4: // MXCSR: random control/flag bits, sometimes a reserved one
                uint mxcsr = (uint)random.Next(0x10000);
                if (random.Next(4) == 0)
                {
                    mxcsr |= 1u << random.Next(16, 32);
                }

                BinaryPrimitives.WriteUInt32LittleEndian(bytes[24..], mxcsr);
                break;
            case 5: // MXCSR_MASK: random, or zero (an area no save wrote)
                BinaryPrimitives.WriteUInt32LittleEndian(bytes[28..], random.Next(3) == 0 ? 0u : (uint)random.NextInt64());
                break;
            case 6: // a run of random bytes anywhere in the page
                int length = 1 + random.Next(16);
                random.NextBytes(bytes.Slice(random.Next(bytes.Length - length), length));
                break;
            case 7: // x87 control, status and tag words
                random.NextBytes(bytes[..6]);
                break;
            case 8: // x87/MMX and XMM register contents
                random.NextBytes(bytes.Slice(32 + (16 * random.Next(24)), 16));
                break;
            case 9: // the legacy region zeroed, as in default(XSaveArea)
                bytes[..464].Clear();
                break;
            case 10: // every enabled component marked in use
                BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)xcr0);
                break;
            case 11: // AVX upper halves
                random.NextBytes(bytes.Slice(576, 256));
                break;
            case 13: // PKRU: any value where XRSTOR on this CPU reads it, marked in use
                if (cpu.PkruSlot(in area) is { } pkru)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes[pkru.Offset..], (uint)random.NextInt64());
                    BinaryPrimitives.WriteUInt64LittleEndian(header, BinaryPrimitives.ReadUInt64LittleEndian(header) | (ulong)XFeatures.Pkru);
                }

                break;
            case 14: // a compacted area of enabled components with random component bytes
                ulong laidOut = ((ulong)xcr0 & (ulong)XSaveArea.SafeFeatures & (ulong)random.NextInt64()) | 3;
                BinaryPrimitives.WriteUInt64LittleEndian(header, laidOut & (ulong)random.NextInt64());
                BinaryPrimitives.WriteUInt64LittleEndian(header[8..], laidOut | XSaveHeader.CompactedFormat);
                header[16..].Clear();
                random.NextBytes(bytes[(XSaveArea.HeaderOffset + XSaveHeader.Size)..]);
                break;
            case 15: // MXCSR: one exception mask cleared, or all set again
                uint control = BinaryPrimitives.ReadUInt32LittleEndian(bytes[24..]);
                control = random.Next(2) == 0 ? control & ~(1u << random.Next(7, 13)) : control | (uint)Mxcsr.AllExceptionMasks;
                BinaryPrimitives.WriteUInt32LittleEndian(bytes[24..], control);
                break;
            case 16: // FCW: one exception mask cleared, or all set again; x87 in use
                ushort fcw = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
                fcw = random.Next(2) == 0 ? (ushort)(fcw & ~(1 << random.Next(6))) : (ushort)(fcw | 0x3F);
                BinaryPrimitives.WriteUInt16LittleEndian(bytes, fcw);
                header[0] |= 1;
                break;
            default: // a layout descriptor from another (made-up) CPU that moves AVX, marked in use
                var slots = new ComponentSlot[StateComponent.Count];
                slots[2] = new ComponentSlot(576 + (64 * (1 + random.Next(40))), 256);
                LayoutDescriptor.Write(XSaveLayout.FromSlots("made up", slots), bytes.Slice(LayoutDescriptor.Offset, LayoutDescriptor.Length));
                BinaryPrimitives.WriteUInt64LittleEndian(header, BinaryPrimitives.ReadUInt64LittleEndian(header) | (ulong)XFeatures.Avx);
                break;
        }
    }
}
