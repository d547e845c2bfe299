namespace XSave;

/// <summary>
/// A page-sized (4096-byte) XSAVE area: the legacy region, the XSAVE header and every user state
/// component whose standard-format slot ends within the page on every known CPU. It never grows
/// with the CPU, so it fits on the stack, in a field, in an array or in native memory, and no
/// save can run past it. Any alignment works; 64-byte-aligned areas take the direct path.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = Size)]
public partial struct XSaveArea
{
    /// <summary>The size of the area in bytes: one page.</summary>
    public const int Size = 4096;

    /// <summary>The alignment XSAVE and XRSTOR require (Intel SDM vol. 1 §13.4).</summary>
    public const int Alignment = 64;

    internal const int HeaderOffset = AreaOffsets.Header;

    /// <summary>
    /// The components this library ever asks XSAVE/XRSTOR for (the EDX:EAX mask): those whose
    /// standard-format slot ends within 4096 bytes on every known CPU — x87, SSE, AVX, MPX,
    /// AVX-512, PKRU, AMX TILECFG and APX. AMX tile data (8 KiB at 2816) is left out, and so are
    /// components defined later, whose offsets nobody knows yet. Fixed here, never read from CPUID.
    /// </summary>
    public const XFeatures SafeFeatures = SafeFeatureSet.Value;

    private LegacyRegion _legacy;
    private XSaveHeader _header;

    /// <summary>The legacy region (bytes 0–511): x87 and SSE state.</summary>
    [UnscopedRef]
    public ref LegacyRegion Legacy => ref _legacy;

    /// <summary>The XSAVE header (bytes 512–575).</summary>
    [UnscopedRef]
    public ref XSaveHeader Header => ref _header;

    /// <summary>
    /// The processor's init state (Intel SDM vol. 1 §13.6): FCW 0x037F, MXCSR 0x1F80, XSTATE_BV 0
    /// and zeros elsewhere. Loading it is what <see cref="Clear"/> does.
    /// </summary>
    public static XSaveArea Initial
    {
        get
        {
            XSaveArea area = default;
            area._legacy.Fcw = (X87ControlWord)LegacyRegion.InitFcw;
            area._legacy.Mxcsr = (Mxcsr)LegacyRegion.InitMxcsr;
            return area;
        }
    }

    [UnscopedRef]
    internal readonly ref readonly XSaveHeader ReadOnlyHeader => ref _header;

    [UnscopedRef]
    internal readonly ref readonly LegacyRegion ReadOnlyLegacy => ref _legacy;

    internal readonly byte ByteAt(int offset) =>
        Unsafe.Add(ref Unsafe.As<XSaveArea, byte>(ref Unsafe.AsRef(in this)), offset);

    /// <summary>
    /// The area as 4096 bytes, to store or send: the layout descriptor in bytes 464–511 goes with
    /// it, so <see cref="FromBytes"/> reads it correctly on any machine.
    /// </summary>
    /// <returns>A copy of the page.</returns>
    public readonly byte[] ToArray() => AsReadOnlySpan().ToArray();

    /// <summary>Copies the area's 4096 bytes to <paramref name="destination"/>.</summary>
    /// <param name="destination">At least 4096 bytes.</param>
    public readonly void CopyTo(Span<byte> destination) => AsReadOnlySpan().CopyTo(destination);

    /// <summary>
    /// Reads an area from bytes written by <see cref="ToArray"/> or any XSAVE image, validated by
    /// <see cref="XSaveImage.Parse"/>. To restore state from another kind of CPU, use
    /// <c>XSaveImage.Parse(bytes).ToStandard()</c>; <see cref="Load()"/> refuses a foreign layout.
    /// </summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The area.</returns>
    /// <exception cref="InvalidXSaveImageException">The bytes are not a readable image.</exception>
    public static XSaveArea FromBytes(ReadOnlySpan<byte> bytes) => XSaveImage.Parse(bytes).Area;

    // The page's raw bytes stay internal: the public surface is the typed views.
    [UnscopedRef]
    internal Span<byte> AsSpan() => MemoryMarshal.CreateSpan(ref Unsafe.As<XSaveArea, byte>(ref this), Size);

    [UnscopedRef]
    internal readonly ReadOnlySpan<byte> AsReadOnlySpan() =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<XSaveArea, byte>(ref Unsafe.AsRef(in this)), Size);
}
