namespace XSave;

// Writing the extended components. A setter leaves the area loading exactly what the views show:
// a component whose XSTATE_BV bit was clear (init state, stale bytes in its slot) first gets its
// whole slot zeroed, then its bit set, so the registers not written read as before — zero.
public partial struct XSaveArea
{
    /// <summary>
    /// Writes the whole of <paramref name="component"/> (AVX onwards; x87 and SSE are in
    /// <see cref="Legacy"/>) and marks it in use in XSTATE_BV. The slot is found as
    /// <see cref="GetComponent(XFeatures)"/> finds it: the area's recorded layout, else this CPU's
    /// (which is then recorded in bytes 464–511). A compacted area is written in place when
    /// XCOMP_BV gives the component a slot, and refused otherwise. A component the CPU does not
    /// enable may be stored; <see cref="Load()"/> refuses it.
    /// </summary>
    /// <param name="component">The component number (e.g. 9 for PKRU): any with <see cref="StateComponent.HasView"/>.</param>
    /// <param name="bytes">Exactly the component's architectural size (<see cref="XSaveLayout.ArchitecturalSize(XFeatures)"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">No view covers <paramref name="component"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not the component's size.</exception>
    /// <exception cref="InvalidOperationException">No layout is known, or it has no slot for the component; nothing was written.</exception>
    public void SetComponent(int component, ReadOnlySpan<byte> bytes)
    {
        int size = ViewSize(component);
        if (bytes.Length != size)
        {
            throw new ArgumentException($"Component {component} is {size} bytes; {bytes.Length} were given.", nameof(bytes));
        }

        bytes.CopyTo(WritableComponent(component));
    }

    /// <summary><see cref="SetComponent(int, ReadOnlySpan{byte})"/> for one <see cref="XFeatures"/> flag.</summary>
    /// <param name="component">One component, e.g. <see cref="XFeatures.Pkru"/>.</param>
    /// <param name="bytes">Exactly the component's architectural size.</param>
    /// <exception cref="ArgumentException"><paramref name="component"/> is not exactly one component, or <paramref name="bytes"/> is not its size.</exception>
    /// <exception cref="InvalidOperationException">No layout is known, or it has no slot for the component; nothing was written.</exception>
    public void SetComponent(XFeatures component, ReadOnlySpan<byte> bytes) => SetComponent(XSaveLayout.Bit(component), bytes);

    /// <summary>Sets YMM<paramref name="index"/> (0–15): XMM in the legacy region (SSE), the upper half in the AVX component.</summary>
    /// <param name="index">The register number.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="InvalidOperationException">No layout is known; nothing was written.</exception>
    public void SetYmm(int index, YmmRegister value)
    {
        RegisterIndex.ThrowIfOutOfRange(index, 16, "YMM");
        Span<byte> upper = WritableRegister(XFeatures.Avx, index);
        WritableXmm()[index] = value.Low;
        MemoryMarshal.Write(upper, value.High);
    }

    /// <summary>Sets ZMM<paramref name="index"/> (0–31): YMM and ZMM_Hi256 for 0–15, Hi16_ZMM for 16–31.</summary>
    /// <param name="index">The register number.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="InvalidOperationException">No layout is known, or it has no slot for AVX-512; nothing was written.</exception>
    public void SetZmm(int index, ZmmRegister value)
    {
        RegisterIndex.ThrowIfOutOfRange(index, 32, "ZMM");
        if (index >= 16)
        {
            MemoryMarshal.Write(WritableRegister(XFeatures.Avx512Hi16Zmm, index - 16), value);
            return;
        }

        // Both slots found before either is written, so that a refusal writes nothing.
        _ = SlotOf(AvxBit, "is being written");
        Span<byte> high = WritableRegister(XFeatures.Avx512ZmmHi256, index);
        SetYmm(index, value.Low);
        MemoryMarshal.Write(high, value.High);
    }

    /// <summary>Sets the AVX-512 opmask register K<paramref name="index"/> (0–7).</summary>
    /// <param name="index">The register number.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="InvalidOperationException">No layout is known, or it has no slot for the opmask component; nothing was written.</exception>
    public void SetOpmask(int index, ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(WritableRegister(XFeatures.Avx512Opmask, index), value);
    }

    /// <summary>
    /// Sets PKRU (component 9). Any value may be stored; <see cref="Load()"/> refuses one that
    /// locks key 0 (<see cref="RestoreRule.PkruLocksKeyZero"/>) unless
    /// <see cref="RestoreHazards.KeyZeroLocked"/> is allowed.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <exception cref="InvalidOperationException">No layout is known, or it has no slot for PKRU; nothing was written.</exception>
    public void SetPkru(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(WritableRegister(XFeatures.Pkru, 0), value);

    /// <summary>Sets the MPX bound register BND<paramref name="index"/> (0–3).</summary>
    /// <param name="index">The register number.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="InvalidOperationException">No layout is known, or it has no slot for MPX; nothing was written.</exception>
    public void SetBnd(int index, BoundRegister value)
    {
        Span<byte> register = WritableRegister(XFeatures.MpxBndRegs, index);
        BinaryPrimitives.WriteUInt64LittleEndian(register, value.Lower);
        BinaryPrimitives.WriteUInt64LittleEndian(register[8..], value.Upper);
    }

    /// <summary>Sets MPX BNDCFGU (component 4, bytes 0–7).</summary>
    /// <param name="value">The value.</param>
    /// <exception cref="InvalidOperationException">No layout is known, or it has no slot for MPX; nothing was written.</exception>
    public void SetBndCfgu(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(WritableRegister(XFeatures.MpxBndCsr, 0), value);

    /// <summary>Sets MPX BNDSTATUS (component 4, bytes 8–15).</summary>
    /// <param name="value">The value.</param>
    /// <exception cref="InvalidOperationException">No layout is known, or it has no slot for MPX; nothing was written.</exception>
    public void SetBndStatus(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(WritableRegister(XFeatures.MpxBndCsr, 1), value);

    /// <summary>Sets AMX TILECFG (component 17, 64 bytes).</summary>
    /// <param name="value">Exactly 64 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not 64 bytes.</exception>
    /// <exception cref="InvalidOperationException">No layout is known, or it has no slot for TILECFG; nothing was written.</exception>
    public void SetTileConfig(ReadOnlySpan<byte> value) => SetComponent(XFeatures.AmxTileConfig, value);

    /// <summary>Sets the APX extended general-purpose register R<paramref name="register"/> (16–31, component 19).</summary>
    /// <param name="register">The register number, 16–31.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="InvalidOperationException">No layout is known, or it has no slot for APX; nothing was written.</exception>
    public void SetApx(int register, ulong value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(register, 16, nameof(register));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(register, 31, nameof(register));
        BinaryPrimitives.WriteUInt64LittleEndian(WritableRegister(XFeatures.Apx, register - 16), value);
    }

    /// <summary>
    /// Writes register <paramref name="index"/> of <paramref name="component"/> (0-based within
    /// it) and marks the component in use, as <see cref="SetComponent(int, ReadOnlySpan{byte})"/>
    /// does: the setter every register setter above writes through.
    /// </summary>
    /// <param name="component">One component with a view, e.g. <see cref="XFeatures.Avx512Opmask"/>.</param>
    /// <param name="index">0 to the component's <see cref="StateComponent.RegisterCount"/> − 1.</param>
    /// <param name="value">Exactly <see cref="StateComponent.RegisterWidth"/> bytes.</param>
    /// <exception cref="ArgumentOutOfRangeException">No view covers <paramref name="component"/>, or there is no such register.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not the register's width.</exception>
    /// <exception cref="InvalidOperationException">No layout is known, or it has no slot for the component; nothing was written.</exception>
    public void SetRegister(XFeatures component, int index, ReadOnlySpan<byte> value)
    {
        StateComponent entry = ViewedRegister(component, index);
        if (value.Length != entry.RegisterWidth)
        {
            throw new ArgumentException($"{entry.NameOf(index)} is {entry.RegisterWidth} bytes; {value.Length} were given.", nameof(value));
        }

        value.CopyTo(WritableRegister(entry, index));
    }

    // One register's bytes, ready to be written (see WritableComponent).
    [UnscopedRef]
    private Span<byte> WritableRegister(XFeatures component, int index) => WritableRegister(ViewedRegister(component, index), index);

    [UnscopedRef]
    private Span<byte> WritableRegister(StateComponent entry, int index) =>
        WritableComponent(entry.Bit).Slice(entry.RegisterWidth * index, entry.RegisterWidth);

    // The component's bytes, ready to be written: found (or refused) before anything changes, the
    // slot zeroed if the component was in its init state, its XSTATE_BV bit set, and a layout that
    // came from this CPU recorded so the area says where its bytes are.
    [UnscopedRef]
    private Span<byte> WritableComponent(int component)
    {
        int size = ViewSize(component);
        ComponentSlot slot = SlotOf(component, "is being written");
        if (!_header.IsCompacted && !HasLayoutDescriptor && XSaveLayout.Current is { } current)
        {
            RecordLayout(current);
        }

        Span<byte> bytes = AsSpan().Slice(slot.Offset, slot.Size);
        ulong bit = 1UL << component;
        if (((ulong)_header.XStateBv & bit) == 0)
        {
            bytes.Clear();
            _header.XStateBv |= (XFeatures)bit;
        }

        return bytes[..Math.Min(slot.Size, size)];
    }

    // The XMM registers, ready to be written: zeroed first if SSE was in its init state.
    [UnscopedRef]
    private Span<XmmRegister> WritableXmm()
    {
        if (!_header.XStateBv.HasFlag(XFeatures.Sse))
        {
            _legacy.Xmm = default;
            _header.XStateBv |= XFeatures.Sse;
        }

        return _legacy.Xmm;
    }

    private readonly bool HasLayoutDescriptor =>
        LayoutDescriptor.Read(AsReadOnlySpan().Slice(LayoutDescriptor.Offset, LayoutDescriptor.Length)) is not null;
}
