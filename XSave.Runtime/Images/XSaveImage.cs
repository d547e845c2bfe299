namespace XSave;

/// <summary>
/// An x86 XSAVE image of any length read into a page-sized <see cref="XSaveArea"/>, with the
/// layout needed to find its components. Parsing is plain C# and runs on any architecture.
/// </summary>
public sealed partial class XSaveImage
{
    private const int LegacyAndHeader = XSaveArea.HeaderOffset + XSaveHeader.Size;
    private const uint LinuxFpxMagic1 = 0x46505853; // FP_XSTATE_MAGIC1, arch/x86/include/uapi/asm/sigcontext.h

    /// <summary>The longest image <see cref="Parse"/> takes: far beyond any XSAVE image (AMX makes 11 KiB).</summary>
    public const int LargestImage = 1 << 16;

    private XSaveArea _area;

    private XSaveImage(XSaveArea area, XSaveLayout layout, LayoutSource layoutSource, XSaveImageFormat format, int length, XFeatures? xcr0, XFeatures dropped)
    {
        _area = area;
        Layout = layout;
        LayoutSource = layoutSource;
        Format = format;
        Length = length;
        Xcr0 = xcr0;
        Dropped = dropped;
    }

    /// <summary>The page-sized area: the image's first 4096 bytes, with XSTATE_BV cleared for components that did not fit.</summary>
    public XSaveArea Area => _area;

    /// <summary>Where the image's components lie.</summary>
    public XSaveLayout Layout { get; }

    /// <summary>Where <see cref="Layout"/> came from.</summary>
    public LayoutSource LayoutSource { get; }

    /// <summary>What kind of image it was.</summary>
    public XSaveImageFormat Format { get; }

    /// <summary>The length of the bytes parsed.</summary>
    public int Length { get; }

    /// <summary>XCR0 as the image recorded it (Linux images do; for a Windows thread, the features Windows enables in contexts), else null.</summary>
    public XFeatures? Xcr0 { get; }

    /// <summary>Components present in the image that the page cannot hold (AMX tile data, unknown components).</summary>
    public XFeatures Dropped { get; }

    /// <summary>The components in use: XSTATE_BV of <see cref="Area"/>.</summary>
    public XFeatures InUse => _area.Header.XStateBv;

    /// <summary>
    /// Reads an image. The layout comes from the image when it records one (compacted format,
    /// Linux's XCR0 and size), else from <paramref name="layout"/>, else from the known vendor
    /// tables when they agree on every component in use, else from this CPU.
    /// </summary>
    /// <param name="image">The bytes: 512 (FXSAVE), or at least 576 (XSAVE), any length beyond.</param>
    /// <param name="layout">The layout of the CPU that wrote a standard-format image, when known.</param>
    /// <exception cref="InvalidXSaveImageException">The bytes are not a readable image; the message says why.</exception>
    public static XSaveImage Parse(ReadOnlySpan<byte> image, XSaveLayout? layout = null) => ParseWithSource(image, layout, LayoutSource.Given);

    /// <summary><see cref="Parse(ReadOnlySpan{byte}, XSaveLayout?)"/>, saying where a given layout came from.</summary>
    internal static XSaveImage ParseWithSource(ReadOnlySpan<byte> image, XSaveLayout? layout, LayoutSource givenSource)
    {
        XSaveArea area = default;
        LayoutSource source = givenSource;
        ThrowIfNotAnImage(image);
        if (image.Length < LegacyRegion.Size)
        {
            throw Invalid("length", $"An XSAVE image is at least {LegacyRegion.Size} bytes (the legacy region); this one has {image.Length}.");
        }

        if (image.Length == LegacyRegion.Size)
        {
            image.CopyTo(area.AsSpan());
            area.Header.XStateBv = XFeatures.X87 | XFeatures.Sse;
            return new XSaveImage(area, layout ?? XSaveLayout.Intel, layout is null ? LayoutSource.LegacyRegionOnly : givenSource, XSaveImageFormat.FxSave, image.Length, null, XFeatures.None);
        }

        if (image.Length < LegacyAndHeader)
        {
            throw Invalid("length", $"The image has {image.Length} bytes: longer than an FXSAVE image but too short for the 64-byte XSAVE header at 512.");
        }

        ReadOnlySpan<byte> header = image.Slice(XSaveArea.HeaderOffset, XSaveHeader.Size);
        XFeatures xstateBv = (XFeatures)BinaryPrimitives.ReadUInt64LittleEndian(header);
        ulong xcompBv = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        int reserved = header[16..].IndexOfAnyExcept((byte)0);
        if (reserved >= 0)
        {
            throw Invalid("XSAVE header", $"XSAVE header byte {16 + reserved} is 0x{header[16 + reserved]:X2}; header bytes 16–63 are reserved and must be 0.");
        }

        if (((ulong)xstateBv & XSaveHeader.CompactedFormat) != 0)
        {
            throw Invalid("XSTATE_BV", $"XSTATE_BV = 0x{(ulong)xstateBv:X} sets bit 63, which is reserved.");
        }

        XSaveImageFormat format;
        XFeatures? xcr0 = null;
        if ((xcompBv & XSaveHeader.CompactedFormat) != 0)
        {
            XFeatures laidOut = (XFeatures)(xcompBv & ~XSaveHeader.CompactedFormat);
            if ((xstateBv & ~laidOut) != 0)
            {
                throw Invalid("XSTATE_BV", $"XSTATE_BV = 0x{(ulong)xstateBv:X} names bit(s) 0x{(ulong)(xstateBv & ~laidOut):X} missing from XCOMP_BV = 0x{xcompBv:X}.");
            }

            for (int i = 2; i < 64; i++)
            {
                if (((ulong)laidOut & (1UL << i)) != 0 && XSaveLayout.ArchitecturalSize(i) == 0)
                {
                    throw Invalid("XCOMP_BV", $"XCOMP_BV = 0x{xcompBv:X} lays out component {i}, whose size is not architectural: the components after it cannot be located.");
                }
            }

            layout = XSaveLayout.Compacted(laidOut);
            source = LayoutSource.Compacted;
            format = XSaveImageFormat.Compacted;
        }
        else
        {
            if (xcompBv != 0)
            {
                throw Invalid("XCOMP_BV", $"XCOMP_BV = 0x{xcompBv:X} must be 0 in the standard format (bit 63 clear).");
            }

            (format, xcr0) = Provenance(image);
            XSaveLayout? recorded = format == XSaveImageFormat.Recorded ? LayoutDescriptor.Read(image.Slice(LayoutDescriptor.Offset, LayoutDescriptor.Length)) : null;
            if (layout is null)
            {
                (layout, source) = recorded is not null ? (recorded, LayoutSource.Recorded) : InferLayout(xstateBv, xcr0, image.Length);
            }
        }

        XFeatures dropped = XFeatures.None;
        for (int i = 2; i < 64; i++)
        {
            ulong bit = 1UL << i;
            if (((ulong)xstateBv & bit) == 0)
            {
                continue;
            }

            ComponentSlot? slot = i < StateComponent.Count ? layout.Slot(i) : null;
            if (slot is null)
            {
                if (i < StateComponent.Count && XSaveLayout.ArchitecturalSize(i) > 0)
                {
                    throw Invalid("XSTATE_BV", $"XSTATE_BV says component {i} is in use, but the {layout.Name} layout has no slot for it.");
                }

                dropped |= (XFeatures)bit; // unknown component: nowhere to put it
                continue;
            }

            if (slot.Value.End > image.Length)
            {
                throw Invalid("length", $"XSTATE_BV says component {i} is in use, but the image ends at {image.Length} and its slot ({layout.Name}) ends at {slot.Value.End}.");
            }

            if (slot.Value.End > XSaveArea.Size)
            {
                dropped |= (XFeatures)bit; // AMX tile data: past the page
            }
        }

        image[..Math.Min(image.Length, XSaveArea.Size)].CopyTo(area.AsSpan());
        area.Header.XStateBv = xstateBv & ~dropped;
        if (format != XSaveImageFormat.Compacted)
        {
            area.RecordLayout(layout); // replaces Linux's software bytes: Format and Xcr0 keep what they said
        }

        return new XSaveImage(area, layout, source, format, image.Length, xcr0, dropped);
    }

    /// <summary>A thread's state gathered from a Windows thread context into this CPU's standard layout.</summary>
    internal static XSaveImage OfThreadContext(XSaveArea area, XSaveLayout layout, XFeatures enabled, XFeatures dropped)
    {
        area.RecordLayout(layout);
        return new XSaveImage(area, layout, LayoutSource.ThreadOnThisCpu, XSaveImageFormat.Recorded, XSaveArea.Size, enabled, dropped);
    }

    /// <summary>
    /// The bytes of <paramref name="component"/> as the CPU would load them: its slot when
    /// XSTATE_BV marks it in use, zeros (its init state) when not. See <see cref="XSaveArea.GetComponent(XFeatures)"/>.
    /// </summary>
    /// <param name="component">One component, e.g. <see cref="XFeatures.Avx"/>.</param>
    public ReadOnlySpan<byte> GetComponent(XFeatures component) => _area.GetComponent(component);

    /// <summary>
    /// The same state as a standard-format area in <paramref name="target"/>'s layout (by default
    /// this CPU's): what <see cref="XSaveArea.Load()"/> needs when the image came from another CPU
    /// or is compacted. Components in their init state stay in it.
    /// </summary>
    /// <param name="target">The layout of the CPU that will restore it.</param>
    /// <exception cref="InvalidXSaveImageException">A component in use has no slot in <paramref name="target"/>.</exception>
    /// <exception cref="PlatformNotSupportedException">No <paramref name="target"/> was given and this is not an x86 CPU.</exception>
    public XSaveArea ToStandard(XSaveLayout? target = null)
    {
        target ??= XSaveLayout.Current ?? throw new PlatformNotSupportedException("There is no CPU layout to convert to here; pass a target layout.");
        foreach (XFeatures component in (InUse & ~(XFeatures.X87 | XFeatures.Sse)).Components())
        {
            if (StateComponent.At(XSaveLayout.Bit(component)) is { IsSupervisor: true } supervisor)
            {
                // Only XSAVES writes these (a Windows context may carry CET_U): no standard area holds them.
                throw Invalid("XSTATE_BV", $"Component {supervisor.Bit} ({supervisor.Name}) is in use: a supervisor component, which only the compacted form XSAVES writes holds; a standard-format area cannot.");
            }

            if (target.Slot(component) is not { } slot || slot.End > XSaveArea.Size)
            {
                throw Invalid("XSTATE_BV", $"Component {XSaveLayout.Bit(component)} ({component}) is in use but the {target.Name} layout has no slot for it inside the page: the state cannot be converted for that CPU.");
            }
        }

        return FormatConversion.ToStandard(in _area, target);
    }

    /// <summary>
    /// The same state as a compacted area (as XSAVEC writes it) holding <paramref name="components"/>
    /// (default: those in use), for a CPU whose 64-byte-aligned components are <paramref name="aligned64"/>.
    /// </summary>
    /// <param name="components">The components to lay out (XCOMP_BV); must include those in use.</param>
    /// <param name="aligned64">Components the target CPU aligns to 64 bytes (CPUID.(0DH,i):ECX[1]).</param>
    public XSaveArea ToCompacted(XFeatures? components = null, XFeatures aligned64 = XFeatures.AmxTileConfig | XFeatures.AmxTileData)
    {
        XFeatures laidOut = (components ?? InUse) | XFeatures.X87 | XFeatures.Sse;
        if ((InUse & ~laidOut) != 0 || (laidOut & ~XSaveArea.SafeFeatures) != 0)
        {
            throw Invalid("XCOMP_BV", $"The compacted layout 0x{(ulong)laidOut:X} must include the components in use (0x{(ulong)InUse:X}) and stay within XSaveArea.SafeFeatures.");
        }

        XSaveLayout compacted = XSaveLayout.Compacted(laidOut, aligned64);
        XSaveArea result = default;
        _area.AsReadOnlySpan()[..XSaveArea.HeaderOffset].CopyTo(result.AsSpan());
        result.Header.XStateBv = InUse;
        if (!_area.Header.IsCompacted && !InUse.HasFlag(XFeatures.Sse) && (uint)_area.Legacy.Mxcsr != LegacyRegion.InitMxcsr)
        {
            // A standard XRSTOR loads MXCSR whatever XSTATE_BV says; a compacted one loads it only
            // with SSE in use, else initialises it. Keep the value: SSE in use, XMM at their init zeros.
            result.Header.XStateBv |= XFeatures.Sse;
            result.Legacy.Xmm = default;
        }

        result.Header.XCompBv = XSaveHeader.CompactedFormat | (ulong)laidOut;
        foreach (XFeatures component in (InUse & ~(XFeatures.X87 | XFeatures.Sse)).Components())
        {
            if (compacted.Slot(component) is { } slot)
            {
                GetComponent(component).CopyTo(result.AsSpan().Slice(slot.Offset, slot.Size));
            }
        }

        return result;
    }

    private static (XSaveImageFormat Format, XFeatures? Xcr0) Provenance(ReadOnlySpan<byte> image)
    {
        ReadOnlySpan<byte> software = image.Slice(LayoutDescriptor.Offset, LayoutDescriptor.Length);
        if (LayoutDescriptor.Read(software) is not null)
        {
            return (XSaveImageFormat.Recorded, null);
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(software) == LinuxFpxMagic1)
        {
            return (XSaveImageFormat.LinuxSignalFrame, (XFeatures)BinaryPrimitives.ReadUInt64LittleEndian(software[8..]));
        }

        // NT_X86_XSTATE: the kernel copies XCR0 to bytes 464–471 (xstate_fx_sw_bytes / sw_reserved).
        ulong recorded = BinaryPrimitives.ReadUInt64LittleEndian(software);
        bool plausible = (recorded & 3) == 3 && (recorded >> 20) == 0 && software[8..].IndexOfAnyExcept((byte)0) < 0;
        return plausible ? (XSaveImageFormat.LinuxXState, (XFeatures)recorded) : (XSaveImageFormat.Standard, null);
    }

    private static (XSaveLayout Layout, LayoutSource Source) InferLayout(XFeatures inUse, XFeatures? xcr0, int length)
    {
        // With XCR0 known, the image's length picks the vendor: each layout gives its own size.
        if (xcr0 is { } enabled)
        {
            int shortest = int.MaxValue;
            foreach (XSaveLayout known in XSaveLayout.Known)
            {
                if (!Covers(known, enabled))
                {
                    continue;
                }

                int size = known.StandardSize(enabled);
                if (size == length)
                {
                    return (known, LayoutSource.Xcr0AndSize);
                }

                shortest = Math.Min(shortest, size);
            }

            if (length < shortest && shortest != int.MaxValue)
            {
                throw Invalid("length", $"The image records XCR0 = 0x{(ulong)enabled:X}, which needs at least {shortest} bytes on any known CPU; it has {length}: truncated.");
            }
        }

        // Otherwise the vendor tables may all agree on the components in use (x87/SSE/AVX always do).
        XSaveLayout? agreed = null;
        foreach (XSaveLayout known in XSaveLayout.Known)
        {
            if (!Covers(known, inUse))
            {
                continue;
            }

            if (agreed is not null && !agreed.Agrees(known, inUse))
            {
                agreed = null;
                break;
            }

            agreed ??= known;
        }

        if (agreed is not null)
        {
            return (agreed, LayoutSource.TablesAgree);
        }

        return (XSaveLayout.Current ?? throw Invalid("layout",
            $"The components in use (XSTATE_BV = 0x{(ulong)inUse:X}) lie at different offsets on different vendors and the image does not say which wrote it: pass its layout (e.g. XSaveLayout.Intel or XSaveLayout.AmdZen4)."), LayoutSource.ThisCpu);
    }

    private static bool Covers(XSaveLayout layout, XFeatures features)
    {
        foreach (XFeatures component in (features & ~(XFeatures.X87 | XFeatures.Sse)).Components())
        {
            if (layout.Slot(XSaveLayout.Bit(component)) is null && XSaveLayout.Bit(component) < StateComponent.Count)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Inputs that are recognisably something else get told what they are and what reads them,
    /// and so does data longer than any image. (Field values are not judged here: an area built
    /// with the setters converts through Parse, and the restore rules name what a Load refuses.)
    /// </summary>
    private static void ThrowIfNotAnImage(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(FileSignature.Elf))
        {
            throw Invalid("ELF header", "The bytes are an ELF file (a Linux core file?), not an XSAVE image: read a core's threads with XSave.Diagnostics' LinuxCoreFile.ReadThreads, or 'xsave read FILE'.");
        }

        if (bytes.StartsWith(FileSignature.Minidump))
        {
            throw Invalid("signature", "The bytes are a minidump (they start \"MDMP\"), not an XSAVE image: read its threads with XSave.Diagnostics' MinidumpFile.Read, or 'xsave read FILE'.");
        }

        if (bytes.StartsWith(FileSignature.WindowsExecutable))
        {
            throw Invalid("signature", "The bytes are a Windows executable or DLL (they start \"MZ\"), not an XSAVE image.");
        }

        if (CoreCompressionFormat.Detect(bytes) is var compression and not CoreCompression.None)
        {
            throw Invalid("signature", $"The bytes are {compression}-compressed, not an XSAVE image: decompress them first ({CoreCompressionFormat.DecompressCommand(compression)}).");
        }

        // An image starts with FCW, whose high byte is at most 0x1F (bits 13–15 are reserved):
        // eight printable characters there are text, and are named as such.
        ReadOnlySpan<byte> start = bytes[..Math.Min(bytes.Length, 64)];
        if (start.Length >= 8 && start[..8].IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0)
        {
            throw Invalid("content", $"The bytes look like text (they start \"{System.Text.Encoding.ASCII.GetString(start[..Math.Min(start.Length, 16)])}\"), not an XSAVE image: an image is the binary output of XSAVE, FXSAVE or XSaveArea.ToArray, or an NT_X86_XSTATE note.");
        }

        if (bytes.Length > LargestImage)
        {
            throw Invalid("length", $"The bytes are {bytes.Length} long; no XSAVE writes more than a few pages (AMX's tile data makes 11 KiB), and this reader takes at most {LargestImage}: not an XSAVE image.");
        }
    }

    private static InvalidXSaveImageException Invalid(string field, string message) => new(field, message);
}
