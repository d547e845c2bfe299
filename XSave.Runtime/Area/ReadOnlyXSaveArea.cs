namespace XSave;

/// <summary>
/// A read-only view of an <see cref="XSaveArea"/> someone else owns (<see cref="XSaveContext.Area"/>):
/// every view of the area, none of its setters, and <see cref="Legacy"/> and <see cref="Header"/>
/// as read-only references, so a write through it is a compile-time error rather than a write to a
/// silent copy. <c>XSaveArea copy = view;</c> copies the page out.
/// </summary>
public readonly ref struct ReadOnlyXSaveArea
{
    private readonly ref readonly XSaveArea _area;

    internal ReadOnlyXSaveArea(ref readonly XSaveArea area) => _area = ref area;

    /// <summary>The area itself, for the library's and the tests' own use (its address, its bytes).</summary>
    internal ref readonly XSaveArea Value => ref _area;

    /// <summary>The legacy region (bytes 0–511), read-only.</summary>
    public ref readonly LegacyRegion Legacy => ref _area.ReadOnlyLegacy;

    /// <summary>The XSAVE header (bytes 512–575), read-only.</summary>
    public ref readonly XSaveHeader Header => ref _area.ReadOnlyHeader;

    /// <summary>Where the components lie: see <see cref="XSaveArea.Layout"/>.</summary>
    public XSaveLayout? Layout => _area.Layout;

    /// <summary>See <see cref="XSaveArea.GetComponent(XFeatures)"/>.</summary>
    /// <param name="component">One component.</param>
    /// <returns>The component's bytes as the CPU would load them.</returns>
    public ReadOnlySpan<byte> GetComponent(XFeatures component) => _area.GetComponent(component);

    /// <summary>See <see cref="XSaveArea.GetRegister"/>.</summary>
    /// <param name="component">One component with a view.</param>
    /// <param name="index">The register's index within it.</param>
    /// <returns>The register's bytes as the CPU would load them.</returns>
    public ReadOnlySpan<byte> GetRegister(XFeatures component, int index) => _area.GetRegister(component, index);

    /// <summary>See <see cref="XSaveArea.Ymm"/>.</summary>
    /// <param name="index">0–15.</param>
    /// <returns>The register.</returns>
    public YmmRegister Ymm(int index) => _area.Ymm(index);

    /// <summary>See <see cref="XSaveArea.Zmm"/>.</summary>
    /// <param name="index">0–31.</param>
    /// <returns>The register.</returns>
    public ZmmRegister Zmm(int index) => _area.Zmm(index);

    /// <summary>See <see cref="XSaveArea.Opmask"/>.</summary>
    /// <param name="index">0–7.</param>
    /// <returns>The register.</returns>
    public ulong Opmask(int index) => _area.Opmask(index);

    /// <summary>See <see cref="XSaveArea.Pkru"/>.</summary>
    public uint Pkru => _area.Pkru;

    /// <summary>See <see cref="XSaveArea.Bnd"/>.</summary>
    /// <param name="index">0–3.</param>
    /// <returns>The register.</returns>
    public BoundRegister Bnd(int index) => _area.Bnd(index);

    /// <summary>See <see cref="XSaveArea.BndCfgu"/>.</summary>
    public ulong BndCfgu => _area.BndCfgu;

    /// <summary>See <see cref="XSaveArea.BndStatus"/>.</summary>
    public ulong BndStatus => _area.BndStatus;

    /// <summary>See <see cref="XSaveArea.TileConfig"/>.</summary>
    public ReadOnlySpan<byte> TileConfig => _area.TileConfig;

    /// <summary>See <see cref="XSaveArea.Apx"/>.</summary>
    /// <param name="register">16–31.</param>
    /// <returns>The register.</returns>
    public ulong Apx(int register) => _area.Apx(register);

    /// <summary>A copy of the page (see <see cref="XSaveArea.ToArray"/>).</summary>
    /// <returns>4096 bytes.</returns>
    public byte[] ToArray() => _area.ToArray();

    /// <summary>Copies the page to <paramref name="destination"/>.</summary>
    /// <param name="destination">At least 4096 bytes.</param>
    public void CopyTo(Span<byte> destination) => _area.CopyTo(destination);

    /// <summary>A copy of the area, which the caller owns and may change.</summary>
    /// <returns>The copy.</returns>
    public XSaveArea ToArea() => _area;

    /// <summary>Copies the area out: <c>XSaveArea copy = context.Area;</c>.</summary>
    /// <param name="view">The view.</param>
    public static implicit operator XSaveArea(ReadOnlyXSaveArea view) => view._area;
}
