using System;
using System.Collections.Generic;
using System.Runtime.Intrinsics.X86;

namespace XSave;

/// <summary>
/// Where each state component lies in a standard-format area. The standard offsets are not
/// architectural: they differ by vendor (CPUID leaf 0DH reports them), so an area is read with
/// the layout of the CPU that wrote it. Components 0 and 1 always live in the legacy region.
/// Offsets: Intel SDM vol. 1 §13.4.3 and table 13-1; AMD as reported by CPUID on Zen 2 and Zen 4
/// (docs/layouts.md).
/// </summary>
public sealed class XSaveLayout : IEquatable<XSaveLayout>
{
    /// <summary>The number of components a layout describes (bits 0–19).</summary>
    public const int ComponentCount = 20;

    private readonly ComponentSlot[] _slots;

    private XSaveLayout(string name, ComponentSlot[] slots)
    {
        Name = name;
        _slots = slots;
    }

    /// <summary>A short name: the vendor table it came from, or where it was read.</summary>
    public string Name { get; }

    /// <summary>Intel's standard format (also every Intel CPU's CPUID answer to date).</summary>
    public static XSaveLayout Intel { get; } = Create("Intel", new()
    {
        [2] = new(576, 256),
        [3] = new(960, 64),
        [4] = new(1024, 64),
        [5] = new(1088, 64),
        [6] = new(1152, 512),
        [7] = new(1664, 1024),
        [9] = new(2688, 8),
        [17] = new(2752, 64),
        [18] = new(2816, 8192),
    });

    /// <summary>Intel with APX, whose R16–R31 reuse the MPX slot at 960 (MPX and APX never coexist).</summary>
    public static XSaveLayout IntelApx { get; } = Create("Intel (APX)", new()
    {
        [2] = new(576, 256),
        [5] = new(1088, 64),
        [6] = new(1152, 512),
        [7] = new(1664, 1024),
        [9] = new(2688, 8),
        [17] = new(2752, 64),
        [18] = new(2816, 8192),
        [19] = new(960, 128),
    });

    /// <summary>AMD Zen 3 and Zen 4: AVX-512 right after AVX, PKRU at 2432 (seen on this project's machines).</summary>
    public static XSaveLayout AmdZen4 { get; } = Create("AMD Zen 4", new()
    {
        [2] = new(576, 256),
        [5] = new(832, 64),
        [6] = new(896, 512),
        [7] = new(1408, 1024),
        [9] = new(2432, 8),
    });

    /// <summary>AMD Zen 2: PKRU right after AVX, at 832.</summary>
    public static XSaveLayout AmdZen2 { get; } = Create("AMD Zen 2", new()
    {
        [2] = new(576, 256),
        [9] = new(832, 8),
    });

    /// <summary>The vendor tables this library knows, for recognising an image by its size.</summary>
    public static IReadOnlyList<XSaveLayout> Known { get; } = [Intel, IntelApx, AmdZen4, AmdZen2];

    /// <summary>
    /// The running CPU's layout, from CPUID leaf 0DH, or null off x86. Offsets are only used to
    /// read and place components; a slot CPUID puts past the page is treated as absent.
    /// </summary>
    public static XSaveLayout? Current { get; } = ReadCurrent();

    /// <summary>The slot of <paramref name="component"/>, or null when this layout has none (or it is in the legacy region).</summary>
    /// <param name="component">The component's bit number, 0–19.</param>
    public ComponentSlot? Slot(int component) =>
        (uint)component < ComponentCount && _slots[component].Size > 0 ? _slots[component] : null;

    /// <summary>The size of a standard-format area holding <paramref name="features"/> in this layout.</summary>
    /// <param name="features">The components (normally XCR0).</param>
    /// <returns>The end of the last slot, at least 576 (legacy region and header).</returns>
    public int StandardSize(XFeatures features)
    {
        int end = XSaveArea.HeaderOffset + XSaveHeader.Size;
        for (int i = 2; i < ComponentCount; i++)
        {
            if (((ulong)features & (1UL << i)) != 0 && Slot(i) is { } slot)
            {
                end = Math.Max(end, slot.End);
            }
        }

        return end;
    }

    /// <summary>
    /// The offsets of a compacted area (SDM vol. 1 §13.4.3): from 576, each component of
    /// <paramref name="xcompBv"/> in bit order, aligned to 64 when <paramref name="aligned64"/>
    /// says so, sized as in <see cref="Intel"/> (sizes are the same on every vendor).
    /// </summary>
    /// <param name="xcompBv">The components laid out (XCOMP_BV without bit 63).</param>
    /// <param name="aligned64">Components whose slot starts on a 64-byte boundary (CPUID.(0DH,i):ECX[1]); AMX by default.</param>
    public static XSaveLayout Compacted(XFeatures xcompBv, XFeatures aligned64 = XFeatures.AmxTileConfig | XFeatures.AmxTileData)
    {
        var slots = new ComponentSlot[ComponentCount];
        int offset = XSaveArea.HeaderOffset + XSaveHeader.Size;
        for (int i = 2; i < ComponentCount; i++)
        {
            ulong bit = 1UL << i;
            if (((ulong)xcompBv & bit) == 0)
            {
                continue;
            }

            if (((ulong)aligned64 & bit) != 0)
            {
                offset = (offset + 63) & ~63;
            }

            int size = ArchitecturalSize(i);
            slots[i] = new ComponentSlot(offset, size);
            offset += size;
        }

        return new XSaveLayout($"compacted (XCOMP_BV 0x{(ulong)xcompBv:X})", slots);
    }

    /// <summary>The size of component <paramref name="component"/>: the same on every vendor (0 when unknown).</summary>
    /// <param name="component">The component's bit number.</param>
    public static int ArchitecturalSize(int component) => component switch
    {
        2 => 256,
        3 or 4 or 5 or 17 => 64,
        6 => 512,
        7 => 1024,
        9 => 8,
        18 => 8192,
        19 => 128,
        _ => 0,
    };

    /// <summary>Whether both layouts place every component in <paramref name="features"/> at the same offset.</summary>
    /// <param name="other">The other layout.</param>
    /// <param name="features">The components that matter.</param>
    public bool Agrees(XSaveLayout other, XFeatures features)
    {
        for (int i = 2; i < ComponentCount; i++)
        {
            if (((ulong)features & (1UL << i)) != 0 && Slot(i)?.Offset != other.Slot(i)?.Offset)
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public bool Equals(XSaveLayout? other) => other is not null && _slots.AsSpan().SequenceEqual(other._slots);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as XSaveLayout);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (ComponentSlot slot in _slots)
        {
            hash.Add(slot);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>A layout from explicit slots, e.g. a descriptor recorded with an area.</summary>
    internal static XSaveLayout FromSlots(string name, ComponentSlot[] slots) => new(name, slots);

    private static XSaveLayout Create(string name, Dictionary<int, ComponentSlot> slots)
    {
        var array = new ComponentSlot[ComponentCount];
        foreach (var (component, slot) in slots)
        {
            array[component] = slot;
        }

        return new XSaveLayout(name, array);
    }

    private static XSaveLayout? ReadCurrent()
    {
        // XSAVE implemented means leaf 0DH exists: no CPUID leaf 0 (each CPUID is a VM exit in a guest).
        if (!Processor.IsXSaveImplemented)
        {
            return null;
        }

        var slots = new ComponentSlot[ComponentCount];
        var supported = X86Base.CpuId(0xD, 0);
        ulong user = (uint)supported.Eax | ((ulong)(uint)supported.Edx << 32);
        for (int i = 2; i < ComponentCount; i++)
        {
            if ((user & (1UL << i)) == 0)
            {
                continue;
            }

            var leaf = X86Base.CpuId(0xD, i);
            int size = leaf.Eax, offset = leaf.Ebx;
            // CPUID can lie (SGX, hypervisors): a slot that leaves the page is ignored, never followed.
            if (size > 0 && offset >= XSaveArea.HeaderOffset + XSaveHeader.Size && (long)offset + size <= XSaveArea.Size)
            {
                slots[i] = new ComponentSlot(offset, size);
            }
        }

        return new XSaveLayout("CPUID of this machine", slots);
    }
}
