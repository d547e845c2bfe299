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
    private readonly ComponentSlot[] _slots;

    private XSaveLayout(string name, ComponentSlot[] slots)
    {
        Name = name;
        _slots = slots;
    }

    /// <summary>A short name: the vendor table it came from, or where it was read.</summary>
    public string Name { get; }

    /// <summary>Intel's standard format (also every Intel CPU's CPUID answer to date).</summary>
    public static XSaveLayout Intel { get; } = Create("Intel",
        (XFeatures.Avx, 576), (XFeatures.MpxBndRegs, 960), (XFeatures.MpxBndCsr, 1024), (XFeatures.Avx512Opmask, 1088),
        (XFeatures.Avx512ZmmHi256, 1152), (XFeatures.Avx512Hi16Zmm, 1664), (XFeatures.Pkru, 2688),
        (XFeatures.AmxTileConfig, 2752), (XFeatures.AmxTileData, 2816));

    /// <summary>Intel with APX, whose R16–R31 reuse the MPX slot at 960 (MPX and APX never coexist).</summary>
    public static XSaveLayout IntelApx { get; } = Intel.With("Intel (APX)", XFeatures.MpxBndRegs | XFeatures.MpxBndCsr, (XFeatures.Apx, 960));

    /// <summary>AMD Zen 3 and Zen 4: AVX-512 right after AVX (Zen 4), PKRU at 2432 (docs/layouts.md).</summary>
    public static XSaveLayout AmdZen4 { get; } = Create("AMD Zen 3/4",
        (XFeatures.Avx, 576), (XFeatures.Avx512Opmask, 832), (XFeatures.Avx512ZmmHi256, 896), (XFeatures.Avx512Hi16Zmm, 1408), (XFeatures.Pkru, 2432));

    /// <summary>
    /// AMD Zen 2: PKRU right after AVX, at 832, in a slot CPUID reports as 64 bytes (of which
    /// PKRU uses 8), so the kernel's image for XCR0 0x207 is 896 bytes.
    /// </summary>
    public static XSaveLayout AmdZen2 { get; } = FromSlots("AMD Zen 2", Slots((XFeatures.Avx, new(576, 256)), (XFeatures.Pkru, new(832, 64))));

    /// <summary>The vendor tables this library knows, for recognising an image by its size.</summary>
    public static IReadOnlyList<XSaveLayout> Known { get; } = [Intel, IntelApx, AmdZen4, AmdZen2];

    /// <summary>
    /// The running CPU's layout, from CPUID leaf 0DH, or null off x86. Offsets are only used to
    /// read and place components; a slot CPUID puts past the page is treated as absent.
    /// </summary>
    public static XSaveLayout? Current => CpuidLeaves.Layout;

    /// <summary>The slot of <paramref name="component"/>, or null when this layout has none (x87 and SSE live in the legacy region).</summary>
    /// <param name="component">One component, e.g. <see cref="XFeatures.Pkru"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="component"/> is not exactly one component.</exception>
    public ComponentSlot? Slot(XFeatures component) => Slot(Bit(component));

    /// <summary>The slot of the component with bit number <paramref name="bit"/> (any number: null where there is none).</summary>
    internal ComponentSlot? Slot(int bit) =>
        (uint)bit < (uint)_slots.Length && _slots[bit].Size > 0 ? _slots[bit] : null;

    /// <summary>The bit number of one component.</summary>
    internal static int Bit(XFeatures component) =>
        System.Numerics.BitOperations.IsPow2((ulong)component)
            ? System.Numerics.BitOperations.TrailingZeroCount((ulong)component)
            : throw new ArgumentException($"0x{(ulong)component:X} is not exactly one component.", nameof(component));

    /// <summary>The size of a standard-format area holding <paramref name="features"/> in this layout.</summary>
    /// <param name="features">The components (normally XCR0).</param>
    /// <returns>The end of the last slot, at least 576 (legacy region and header).</returns>
    public int StandardSize(XFeatures features)
    {
        int end = XSaveArea.HeaderOffset + XSaveHeader.Size;
        foreach (XFeatures component in features.Components())
        {
            if (Slot(Bit(component)) is { } slot)
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
    public static unsafe XSaveLayout Compacted(XFeatures xcompBv, XFeatures aligned64 = XFeatures.AmxTileConfig | XFeatures.AmxTileData)
    {
        var slots = new ComponentSlot[StateComponent.Count];
        for (int i = 2; i < StateComponent.Count; i++)
        {
            if (((ulong)xcompBv & (1UL << i)) != 0)
            {
                slots[i] = new ComponentSlot(RestoreChecks.CompactedOffset((ulong)xcompBv, i, (ulong)aligned64, &ArchitecturalSize), ArchitecturalSize(i));
            }
        }

        return new XSaveLayout($"compacted (XCOMP_BV 0x{(ulong)xcompBv:X})", slots);
    }

    /// <summary>The size of <paramref name="component"/>: the same on every vendor (0 when unknown).</summary>
    /// <param name="component">One component, e.g. <see cref="XFeatures.Avx"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="component"/> is not exactly one component.</exception>
    public static int ArchitecturalSize(XFeatures component) => ArchitecturalSize(Bit(component));

    internal static int ArchitecturalSize(int component) => StateComponent.At(component)?.Size ?? 0;

    /// <summary>Whether both layouts place every component in <paramref name="features"/> at the same offset.</summary>
    /// <param name="other">The other layout.</param>
    /// <param name="features">The components that matter.</param>
    public bool Agrees(XSaveLayout other, XFeatures features)
    {
        foreach (XFeatures component in features.Components())
        {
            if (Slot(Bit(component))?.Offset != other.Slot(Bit(component))?.Offset)
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

    // A vendor table: each component at its offset, in a slot of its architectural size.
    private static XSaveLayout Create(string name, params (XFeatures Component, int Offset)[] offsets)
    {
        var slots = new (XFeatures, ComponentSlot)[offsets.Length];
        for (int i = 0; i < offsets.Length; i++)
        {
            slots[i] = (offsets[i].Component, new ComponentSlot(offsets[i].Offset, ArchitecturalSize(offsets[i].Component)));
        }

        return FromSlots(name, Slots(slots));
    }

    // This layout without the components of `removed`, with `added` at its offset.
    private XSaveLayout With(string name, XFeatures removed, (XFeatures Component, int Offset) added)
    {
        var slots = (ComponentSlot[])_slots.Clone();
        foreach (XFeatures component in removed.Components())
        {
            slots[Bit(component)] = default;
        }

        slots[Bit(added.Component)] = new ComponentSlot(added.Offset, ArchitecturalSize(added.Component));
        return FromSlots(name, slots);
    }

    private static ComponentSlot[] Slots(params (XFeatures Component, ComponentSlot Slot)[] slots)
    {
        var array = new ComponentSlot[StateComponent.Count];
        foreach (var (component, slot) in slots)
        {
            array[Bit(component)] = slot;
        }

        return array;
    }

    /// <summary>The supported components whose compacted slot starts on a 64-byte boundary (CPUID.(0DH,i):ECX[1]).</summary>
    internal static XFeatures Aligned64FromCpuid(XFeatures supported, ReadOnlySpan<CpuidComponent> subleaves)
    {
        XFeatures aligned64 = XFeatures.None;
        for (int i = 2; i < subleaves.Length && i < StateComponent.Count; i++)
        {
            if (((ulong)supported & (1UL << i)) != 0 && (subleaves[i].Ecx & 2) != 0)
            {
                aligned64 |= (XFeatures)(1UL << i);
            }
        }

        return aligned64;
    }

    /// <summary>
    /// The layout CPUID leaf 0DH describes. Real processors have answered offset 0 or size 0 for
    /// a component they support: such an answer locates nothing. It is replaced by the vendor
    /// table that agrees with every usable answer, and the layout's name says so; with no such
    /// table the component has no slot. A slot CPUID puts past the page is never followed.
    /// </summary>
    internal static XSaveLayout FromCpuid(XFeatures supported, ReadOnlySpan<CpuidComponent> subleaves)
    {
        var slots = new ComponentSlot[StateComponent.Count];
        var unusable = new List<int>();
        var reports = new List<string>();
        for (int i = 2; i < StateComponent.Count; i++)
        {
            if (((ulong)supported & (1UL << i)) == 0)
            {
                continue;
            }

            CpuidComponent leaf = i < subleaves.Length ? subleaves[i] : default;
            if (leaf.Size <= 0 || leaf.Offset < XSaveArea.HeaderOffset + XSaveHeader.Size)
            {
                unusable.Add(i);
                reports.Add($"component {i} at offset {leaf.Offset}, size {leaf.Size}");
            }
            else if ((long)leaf.Offset + leaf.Size <= XSaveArea.Size)
            {
                slots[i] = new ComponentSlot(leaf.Offset, leaf.Size);
            }
        }

        const string Name = "CPUID leaf 0DH";
        if (unusable.Count == 0)
        {
            return new XSaveLayout(Name, slots);
        }

        var cpuid = new XSaveLayout(Name, slots);
        XFeatures answered = supported & ~Mask(unusable);
        string reported = string.Join("; ", reports);
        foreach (XSaveLayout known in Known)
        {
            if (known.Agrees(cpuid, answered) && unusable.TrueForAll(i => known.Slot(i) is not null))
            {
                foreach (int i in unusable)
                {
                    slots[i] = known._slots[i];
                }

                return new XSaveLayout($"{Name}, corrected from the {known.Name} table (CPUID reported {reported})", slots);
            }
        }

        return new XSaveLayout($"{Name}, with no slot where CPUID reported {reported}", slots);
    }

    private static XFeatures Mask(List<int> components)
    {
        XFeatures mask = XFeatures.None;
        foreach (int i in components)
        {
            mask |= (XFeatures)(1UL << i);
        }

        return mask;
    }
}
