namespace XSave;

// Typed views of the extended components. A component whose XSTATE_BV bit is clear reads as its
// init value (zeros), whatever stale bytes its slot holds: the processor would load zeros.
public partial struct XSaveArea
{
    private static readonly byte[] InitComponent = new byte[StateComponent.LargestViewed];

    /// <summary>
    /// Where this area's components lie: compacted areas describe themselves (XCOMP_BV); areas
    /// written by <see cref="Save"/> or read by <see cref="XSaveImage"/> record their layout in
    /// bytes 464–511; otherwise this CPU's layout, or null off x86.
    /// </summary>
    public readonly XSaveLayout? Layout =>
        _header.IsCompacted ? XSaveLayout.Compacted(_header.CompactedFeatures)
        : LayoutDescriptor.Read(AsReadOnlySpan().Slice(LayoutDescriptor.Offset, LayoutDescriptor.Length)) ?? XSaveLayout.Current;

    /// <summary><see cref="Layout"/>, or an exception that says why there is none: for code that cannot go on without one.</summary>
    /// <returns>The layout the area's components are read with.</returns>
    /// <exception cref="InvalidOperationException">The area records no layout and this is not an x86 CPU.</exception>
    public readonly XSaveLayout GetLayout() => Layout ?? throw new InvalidOperationException(
        "This area records no layout (bytes 464–511 hold no descriptor) and this is not an x86 CPU whose own layout could stand in: read it with XSaveImage.Parse(bytes, layout) and the writer's layout.");

    /// <summary>
    /// The bytes of <paramref name="component"/> (AVX onwards: the legacy region holds x87 and SSE)
    /// as the CPU would load them: its slot when XSTATE_BV marks it in use, zeros (its init state)
    /// when not.
    /// </summary>
    /// <param name="component">One component, e.g. <see cref="XFeatures.Pkru"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="component"/> is not exactly one component.</exception>
    /// <exception cref="ArgumentOutOfRangeException">No view covers it (x87, SSE, supervisor components, AMX tile data).</exception>
    /// <exception cref="InvalidOperationException">The component is in use but this area's layout has no slot for it, or no layout is known.</exception>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> GetComponent(XFeatures component) => GetComponent(XSaveLayout.Bit(component));

    [UnscopedRef]
    internal readonly ReadOnlySpan<byte> GetComponent(int component)
    {
        int size = ViewSize(component);
        if (((ulong)_header.XStateBv & (1UL << component)) == 0)
        {
            return InitComponent.AsSpan(0, size);
        }

        ComponentSlot slot = SlotOf(component, "is in use");
        return AsReadOnlySpan().Slice(slot.Offset, Math.Min(slot.Size, size));
    }

    // The architectural size of a component the views cover, or an exception naming those they do.
    private static int ViewSize(int component) => StateComponent.At(component) is { HasView: true } viewed
        ? viewed.Size
        : throw new ArgumentOutOfRangeException(nameof(component), component,
            $"Views cover {StateComponent.Names(StateComponent.Viewed)}; x87 and SSE are in Legacy.");

    private const int AvxBit = 2;

    // Where this area holds a component: its layout's slot. AVX is at 576 in the standard format of
    // every vendor, and first in any compacted one, so it needs no layout.
    private readonly ComponentSlot SlotOf(int component, string why)
    {
        XSaveLayout? layout = component == AvxBit && !_header.IsCompacted ? null : Layout;
        if (component == AvxBit && layout is null)
        {
            return new ComponentSlot(HeaderOffset + XSaveHeader.Size, XSaveLayout.ArchitecturalSize(AvxBit));
        }

        return layout?.Slot(component) ?? throw new InvalidOperationException(layout is null
            ? $"Component {component} {why} but this area records no layout and this is not an x86 CPU: read it with XSaveImage.Parse and the writer's layout."
            : _header.IsCompacted
                ? $"Component {component} {why} but this compacted area has no slot for it (XCOMP_BV 0x{_header.XCompBv:X}): convert it first with XSaveImage.Parse(area.ToArray()).ToStandard()."
                : $"Component {component} {why} but the {layout.Name} layout has no slot for it.");
    }

    /// <summary>
    /// The bytes of register <paramref name="index"/> of <paramref name="component"/> (0-based
    /// within it, <see cref="StateComponent.RegisterName"/> names it) as the CPU would load them:
    /// the view every register accessor below reads through.
    /// </summary>
    /// <param name="component">One component with a view, e.g. <see cref="XFeatures.Avx512Opmask"/>.</param>
    /// <param name="index">0 to the component's <see cref="StateComponent.RegisterCount"/> − 1.</param>
    /// <returns><see cref="StateComponent.RegisterWidth"/> bytes.</returns>
    /// <exception cref="ArgumentException"><paramref name="component"/> is not exactly one component.</exception>
    /// <exception cref="ArgumentOutOfRangeException">No view covers it, or there is no such register.</exception>
    /// <exception cref="InvalidOperationException">The component is in use but this area's layout has no slot for it, or no layout is known.</exception>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> GetRegister(XFeatures component, int index)
    {
        StateComponent entry = ViewedRegister(component, index);
        return GetComponent(entry.Bit).Slice(entry.RegisterWidth * index, entry.RegisterWidth);
    }

    // The entry of a component the views cover, `index` one of its registers: the argument checks
    // of every register accessor, before anything is read or written.
    private static StateComponent ViewedRegister(XFeatures component, int index)
    {
        StateComponent entry = StateComponent.Of(component);
        _ = ViewSize(entry.Bit);
        RegisterIndex.ThrowIfOutOfRange(index, entry);
        return entry;
    }

    /// <summary>YMM<paramref name="index"/> (0–15): XMM from the legacy region, upper half from the AVX component; init state reads as zero.</summary>
    /// <param name="index">The register number.</param>
    public readonly YmmRegister Ymm(int index)
    {
        RegisterIndex.ThrowIfOutOfRange(index, 16, "YMM");
        XmmRegister low = _header.XStateBv.HasFlag(XFeatures.Sse) ? _legacy.Xmm[index] : default;
        return new YmmRegister(low, Xmm(GetRegister(XFeatures.Avx, index), 0));
    }

    /// <summary>ZMM<paramref name="index"/> (0–31): YMM plus ZMM_Hi256 for 0–15, Hi16_ZMM for 16–31.</summary>
    /// <param name="index">The register number.</param>
    public readonly ZmmRegister Zmm(int index)
    {
        RegisterIndex.ThrowIfOutOfRange(index, 32, "ZMM");
        if (index < 16)
        {
            ReadOnlySpan<byte> high = GetRegister(XFeatures.Avx512ZmmHi256, index);
            return new ZmmRegister(Ymm(index), new YmmRegister(Xmm(high, 0), Xmm(high, 1)));
        }

        ReadOnlySpan<byte> whole = GetRegister(XFeatures.Avx512Hi16Zmm, index - 16);
        return new ZmmRegister(new YmmRegister(Xmm(whole, 0), Xmm(whole, 1)), new YmmRegister(Xmm(whole, 2), Xmm(whole, 3)));
    }

    /// <summary>The AVX-512 opmask register K<paramref name="index"/> (0–7).</summary>
    /// <param name="index">The register number.</param>
    public readonly ulong Opmask(int index) => BinaryPrimitives.ReadUInt64LittleEndian(GetRegister(XFeatures.Avx512Opmask, index));

    /// <summary>PKRU, the protection-key rights register (component 9).</summary>
    public readonly uint Pkru => BinaryPrimitives.ReadUInt32LittleEndian(GetRegister(XFeatures.Pkru, 0));

    /// <summary>The MPX bound register BND<paramref name="index"/> (0–3).</summary>
    /// <param name="index">The register number.</param>
    public readonly BoundRegister Bnd(int index)
    {
        ReadOnlySpan<byte> register = GetRegister(XFeatures.MpxBndRegs, index);
        return new BoundRegister(BinaryPrimitives.ReadUInt64LittleEndian(register), BinaryPrimitives.ReadUInt64LittleEndian(register[8..]));
    }

    /// <summary>MPX BNDCFGU (component 4, bytes 0–7).</summary>
    public readonly ulong BndCfgu => BinaryPrimitives.ReadUInt64LittleEndian(GetRegister(XFeatures.MpxBndCsr, 0));

    /// <summary>MPX BNDSTATUS (component 4, bytes 8–15).</summary>
    public readonly ulong BndStatus => BinaryPrimitives.ReadUInt64LittleEndian(GetRegister(XFeatures.MpxBndCsr, 1));

    /// <summary>AMX TILECFG, the 64-byte tile configuration (component 17).</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> TileConfig => GetComponent(XFeatures.AmxTileConfig);

    /// <summary>The APX extended general-purpose register R<paramref name="register"/> (16–31, component 19).</summary>
    /// <param name="register">The register number, 16–31.</param>
    public readonly ulong Apx(int register)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(register, 16, nameof(register));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(register, 31, nameof(register));
        return BinaryPrimitives.ReadUInt64LittleEndian(GetRegister(XFeatures.Apx, register - 16));
    }

    /// <summary>Records <paramref name="layout"/> in bytes 464–511 (see <see cref="LayoutDescriptor"/>).</summary>
    internal void RecordLayout(XSaveLayout layout) =>
        LayoutDescriptor.Write(layout, AsSpan().Slice(LayoutDescriptor.Offset, LayoutDescriptor.Length));

    private static XmmRegister Xmm(ReadOnlySpan<byte> bytes, int index) =>
        MemoryMarshal.Read<XmmRegister>(bytes.Slice(16 * index, 16));
}
