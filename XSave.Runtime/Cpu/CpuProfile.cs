namespace XSave;

/// <summary>
/// Everything the library decides from a processor, as data: XCR0, MXCSR_MASK, CPUID leaf 0DH
/// (where each component lies, which ones align to 64 in the compacted format) and the
/// XSAVEOPT/XSAVEC bits. The running CPU's profile is read once (<see cref="Processor"/>); tests
/// build profiles of recorded CPUs, so every decision below can be checked for CPUs nobody at
/// hand has.
/// </summary>
internal sealed class CpuProfile
{
    private readonly int? _leafD1Eax;
    private readonly byte[] _descriptor;

    /// <param name="name">What the profile describes, for messages.</param>
    /// <param name="xcr0">The enabled components.</param>
    /// <param name="mxcsrMask">MXCSR_MASK as FXSAVE reports it (0 means 0xFFBF).</param>
    /// <param name="leafD1Eax">CPUID.(0DH,1).EAX; null for the running CPU, whose leaf is read when first asked.</param>
    /// <param name="layout">The standard-format layout; null where none is known (no layout check, PKRU located from the area).</param>
    /// <param name="aligned64">Components whose compacted slot starts on a 64-byte boundary (CPUID.(0DH,i).ECX[1]).</param>
    public CpuProfile(string name, XFeatures xcr0, uint mxcsrMask, int? leafD1Eax, XSaveLayout? layout, XFeatures aligned64)
    {
        Name = name;
        Xcr0 = xcr0;
        MxcsrMask = RestoreChecks.MxcsrMaskOrDefault(mxcsrMask);
        _leafD1Eax = leafD1Eax;
        Layout = layout;
        Aligned64 = aligned64;
        _descriptor = new byte[layout is null ? 0 : LayoutDescriptor.Length];
        if (layout is not null)
        {
            LayoutDescriptor.Write(layout, _descriptor);
        }

        SavedSlots = Slots(xcr0 & XSaveArea.SafeFeatures, layout);
        SavedSlotPadding = Padding(SavedSlots);
        SavedEnd = XSaveArea.HeaderOffset + XSaveHeader.Size;
        foreach (var (_, slot) in SavedSlots)
        {
            SavedEnd = Math.Max(SavedEnd, slot.End);
        }

        SavedGaps = Gaps(SavedSlots, SavedEnd);
    }

    public string Name { get; }

    public XFeatures Xcr0 { get; }

    public uint MxcsrMask { get; }

    public XSaveLayout? Layout { get; }

    public XFeatures Aligned64 { get; }

    // CPUID.(EAX=0DH,ECX=1).EAX: bit 0 XSAVEOPT, bit 1 XSAVEC, bit 2 XGETBV with ECX=1 (SDM vol. 1 §13.2).
    public bool HasXSaveOpt => (LeafD1Eax & 1) != 0;

    public bool HasXSaveC => (LeafD1Eax & 2) != 0;

    public bool HasXGetBv1 => (LeafD1Eax & 4) != 0;

    private int LeafD1Eax => _leafD1Eax ?? CpuidLeaves.LeafD1Eax;

    /// <summary>The layout descriptor every area saved on this CPU carries in bytes 464–511 (empty when no layout is known).</summary>
    public ReadOnlySpan<byte> Descriptor => _descriptor;

    /// <summary>
    /// The slots of the saved components past the header (AVX onwards), each with its XSTATE_BV
    /// bit: the private copies take exactly these (never the whole page; a misaligned save zeroes
    /// their <see cref="SavedSlotPadding"/> in its scratch first), a restore only those XRSTOR will read.
    /// </summary>
    public (int Component, ComponentSlot Slot)[] SavedSlots { get; }

    /// <summary>
    /// The bytes of the saved slots past their component's registers (offset, length): BNDCSR's
    /// 16 bytes of registers in a 64-byte slot, PKRU's 4 in a slot of 8 (64 on Zen 2). XSAVE need
    /// not write them (qemu writes 16 bytes of BNDCSR); every other byte of a slot is a register's.
    /// </summary>
    public (int Offset, int Length)[] SavedSlotPadding { get; }

    /// <summary>Where the last saved slot ends: past it, the page holds nothing XSAVE writes.</summary>
    public int SavedEnd { get; }

    /// <summary>
    /// The bytes between the header and <see cref="SavedEnd"/> in no saved slot (offset, length):
    /// components this CPU lays out but does not save (MPX on a CPU without it enabled), or
    /// offsets no component has. XSAVE does not write them, and neither does a bounced save: they
    /// stay the caller's, as an aligned save leaves them.
    /// </summary>
    public (int Offset, int Length)[] SavedGaps { get; }

    private static (int Offset, int Length)[] Gaps((int Component, ComponentSlot Slot)[] slots, int end)
    {
        var gaps = new (int Offset, int Length)[Gaps(slots, end, null)];
        Gaps(slots, end, gaps);
        return gaps;
    }

    // Counts the gaps, and writes them where `into` is given: two passes rather than a List (see Slots).
    private static int Gaps((int Component, ComponentSlot Slot)[] slots, int end, (int Offset, int Length)[]? into)
    {
        int count = 0;
        int offset = XSaveArea.HeaderOffset + XSaveHeader.Size;
        while (offset < end)
        {
            // The first slot that covers `offset`, else the nearest one after it.
            int next = end, covered = -1;
            foreach (var (_, slot) in slots)
            {
                if (slot.Offset <= offset && offset < slot.End)
                {
                    covered = Math.Max(covered, slot.End);
                }
                else if (slot.Offset > offset)
                {
                    next = Math.Min(next, slot.Offset);
                }
            }

            if (covered >= 0)
            {
                offset = covered;
                continue;
            }

            if (into is not null)
            {
                into[count] = (offset, next - offset);
            }

            count++;
            offset = next;
        }

        return count;
    }

    private static (int Offset, int Length)[] Padding((int Component, ComponentSlot Slot)[] slots)
    {
        int count = 0;
        foreach (var (component, slot) in slots)
        {
            count += slot.Size > RegisterBytes(component) ? 1 : 0;
        }

        var padding = new (int Offset, int Length)[count];
        count = 0;
        foreach (var (component, slot) in slots)
        {
            int registers = RegisterBytes(component);
            if (slot.Size > registers)
            {
                padding[count++] = (slot.Offset + registers, slot.Size - registers);
            }
        }

        return padding;
    }

    private static int RegisterBytes(int component) => StateComponent.At(component)?.RegisterBytes ?? 0;

    /// <summary>
    /// A profile from CPUID leaf 0DH as a processor answered it: <paramref name="subleaves"/>[i]
    /// is sub-leaf i (EAX size, EBX offset, ECX flags) for each supported component i.
    /// </summary>
    public static CpuProfile FromCpuid(string name, XFeatures xcr0, uint mxcsrMask, int? leafD1Eax, XFeatures supported, ReadOnlySpan<CpuidComponent> subleaves) =>
        new(name, xcr0, mxcsrMask, leafD1Eax, XSaveLayout.FromCpuid(supported, subleaves), XSaveLayout.Aligned64FromCpuid(supported, subleaves));

    /// <summary>Where PKRU lies in <paramref name="area"/> as XRSTOR on this CPU reads it, or null when nothing says.</summary>
    public ComponentSlot? PkruSlot(in XSaveArea area)
    {
        ref readonly XSaveHeader header = ref area.ReadOnlyHeader;
        XSaveLayout? layout = header.IsCompacted ? XSaveLayout.Compacted(header.CompactedFeatures, Aligned64) : Layout ?? area.Layout;
        return layout?.Slot(XFeatures.Pkru);
    }

    // Plain loops and arrays: this runs in a process's first Save, where NativeAOT pays for each
    // piece of code run for the first time (this constructor took 28–64 µs there with an iterator,
    // Lists and array slices, 2.3 µs without: docs/benchmarks.md).
    private static (int Component, ComponentSlot Slot)[] Slots(XFeatures saved, XSaveLayout? layout)
    {
        int count = 0;
        for (int bit = 0; bit < StateComponent.Count; bit++)
        {
            count += SavedSlot(saved, layout, bit) is null ? 0 : 1;
        }

        var slots = new (int Component, ComponentSlot Slot)[count];
        count = 0;
        for (int bit = 0; bit < StateComponent.Count; bit++)
        {
            if (SavedSlot(saved, layout, bit) is { } slot)
            {
                slots[count++] = (bit, slot);
            }
        }

        return slots;
    }

    // The component's own bytes, not a wider slot CPUID reports (Zen 2's PKRU: 8 of 64), so a
    // bounced save never copies bytes XSAVE may not have written; none past the page.
    private static ComponentSlot? SavedSlot(XFeatures saved, XSaveLayout? layout, int bit)
    {
        if (((ulong)saved & (1UL << bit)) == 0 || layout?.Slot(bit) is not { } slot || slot.End > XSaveArea.Size)
        {
            return null;
        }

        int own = XSaveLayout.ArchitecturalSize(bit);
        return new ComponentSlot(slot.Offset, own > 0 ? Math.Min(own, slot.Size) : slot.Size);
    }
}
