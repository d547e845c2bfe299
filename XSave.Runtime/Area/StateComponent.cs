using System.Globalization;

namespace XSave;

/// <summary>
/// One XSAVE state component as this library knows it, from the one table every layout, view,
/// setter, CPU profile and report reads (<see cref="All"/>, indexed by bit number as Iced indexes
/// its tables by enum). Sizes and register files: Intel SDM vol. 1 §13.1–13.5 and table 13-1,
/// AMD APM vol. 2 §11.5; docs/components.md says how to add one.
/// </summary>
public sealed class StateComponent
{
    /// <summary>The largest component the views read (Hi16_ZMM); a larger one (AMX tile data) never fits beside the rest in the page.</summary>
    internal const int LargestViewed = 1024;

    // A row of the table: the manual's facts, in the order the properties below give them.
    private readonly (XFeatures Feature, string Name, int Size, int Count, int Width, string Registers, string View, int First, bool Supervisor) _row;

    private StateComponent(XFeatures feature, string name, int size, int registerCount, int registerWidth, string registerName, string view, int firstRegister = 0, bool supervisor = false) =>
        _row = (feature, name, size, registerCount, registerWidth, registerName, view, firstRegister, supervisor);

    /// <summary>The component's flag, e.g. <see cref="XFeatures.Pkru"/>.</summary>
    public XFeatures Feature => _row.Feature;

    /// <summary>Its bit number in XCR0, XSTATE_BV and XCOMP_BV.</summary>
    public int Bit => System.Numerics.BitOperations.TrailingZeroCount((ulong)_row.Feature);

    /// <summary>The manual's name for it, e.g. "AVX-512 Hi16_ZMM".</summary>
    public string Name => _row.Name;

    /// <summary>Its architectural size in bytes, the same on every vendor; 0 for x87 and SSE (they live in the legacy region) and for supervisor components whose size this library does not use (CET's are known: Windows contexts carry CET_U).</summary>
    public int Size => _row.Size;

    /// <summary>How many registers it holds (0 where this library reads none).</summary>
    public int RegisterCount => _row.Count;

    /// <summary>The bytes of each register (for AVX, the upper half of a YMM register).</summary>
    public int RegisterWidth => _row.Width;

    /// <summary>The bytes its registers fill: less than <see cref="Size"/> where the slot has room left (BNDCSR 16 of 64, PKRU 4 of 8).</summary>
    public int RegisterBytes => RegisterCount * RegisterWidth;

    /// <summary>The architectural number of its first register (16 for Hi16_ZMM's ZMM16 and APX's R16).</summary>
    public int FirstRegister => _row.First;

    /// <summary>The <see cref="XSaveArea"/> members that read it.</summary>
    public string View => _row.View;

    /// <summary>Whether only XSAVES saves it (a supervisor component): never in a user area.</summary>
    public bool IsSupervisor => _row.Supervisor;

    /// <summary>Whether <see cref="XSaveArea.Save"/> and <see cref="XSaveArea.Load()"/> ever ask for it (<see cref="XSaveArea.SafeFeatures"/>).</summary>
    public bool IsSaved => (XSaveArea.SafeFeatures & Feature) != 0;

    /// <summary>Whether the area's component views read it: a user component past the legacy region that fits the page beside the others.</summary>
    public bool HasView => Bit >= 2 && !IsSupervisor && Size is > 0 and <= LargestViewed;

    /// <summary>The name of register <paramref name="index"/> (0-based within the component), e.g. "ZMM17" for Hi16_ZMM's index 1.</summary>
    /// <param name="index">0 to <see cref="RegisterCount"/> − 1.</param>
    /// <returns>The manual's name for the register.</returns>
    public string RegisterName(int index)
    {
        RegisterIndex.ThrowIfOutOfRange(index, this);
        return NameOf(index);
    }

    // The name register `index` would have: for messages about an index out of range too.
    internal string NameOf(int index)
    {
        string[] names = _row.Registers.Split(' ');
        return names.Length > 1
            ? (uint)index < (uint)names.Length ? names[index] : $"register {index}"
            : string.Format(CultureInfo.InvariantCulture, _row.Registers, FirstRegister + index);
    }

    /// <summary>The names of the components of <paramref name="set"/>, lowest bit first, for messages.</summary>
    internal static string Names(XFeatures set)
    {
        var names = new List<string>();
        foreach (XFeatures component in set.Components())
        {
            names.Add(At(XSaveLayout.Bit(component))?.Name ?? $"component {XSaveLayout.Bit(component)}");
        }

        return string.Join(", ", names);
    }

    /// <summary>The components, indexed by bit number (0–19).</summary>
    public static IReadOnlyList<StateComponent> All => Table;

    /// <summary>The number of components the table describes (bits 0 to <see cref="Count"/> − 1).</summary>
    public static int Count => Table.Length;

    /// <summary>The entry of one component.</summary>
    /// <param name="component">Exactly one component, e.g. <see cref="XFeatures.Avx"/>.</param>
    /// <returns>Its entry.</returns>
    /// <exception cref="ArgumentException"><paramref name="component"/> is not exactly one component, or one past the table.</exception>
    public static StateComponent Of(XFeatures component) => At(XSaveLayout.Bit(component)) ??
        throw new ArgumentException($"Component {XSaveLayout.Bit(component)} is past the table (0–{Table.Length - 1}).", nameof(component));

    /// <summary>The entry of bit <paramref name="bit"/>, or null past the table.</summary>
    internal static StateComponent? At(int bit) => (uint)bit < (uint)Table.Length ? Table[bit] : null;

    /// <summary>Every component of the table with a view, as a set.</summary>
    internal static XFeatures Viewed => Where(c => c.HasView);

    private static XFeatures Where(Func<StateComponent, bool> predicate)
    {
        XFeatures set = XFeatures.None;
        foreach (StateComponent component in Table)
        {
            set |= predicate(component) ? component.Feature : XFeatures.None;
        }

        return set;
    }

    // The table. A component past bit 19 is one more row here (and a view where it brings a new
    // kind of register): layouts, the descriptor, profiles and reports follow.
    private static readonly StateComponent[] Table =
    [
        new(XFeatures.X87, "x87", 0, 8, 10, "ST{0}", "Legacy (FCW, FSW, FTW, FOP, FIP, FDP, St)"),
        new(XFeatures.Sse, "SSE", 0, 16, 16, "XMM{0}", "Legacy (Mxcsr, Xmm)"),
        new(XFeatures.Avx, "AVX YMM_Hi128", 256, 16, 16, "YMM{0}[255:128]", "Ymm"),
        new(XFeatures.MpxBndRegs, "MPX BNDREGS", 64, 4, 16, "BND{0}", "Bnd"),
        new(XFeatures.MpxBndCsr, "MPX BNDCSR", 64, 2, 8, "BNDCFGU BNDSTATUS", "BndCfgu, BndStatus"),
        new(XFeatures.Avx512Opmask, "AVX-512 opmask", 64, 8, 8, "K{0}", "Opmask"),
        new(XFeatures.Avx512ZmmHi256, "AVX-512 ZMM_Hi256", 512, 16, 32, "ZMM{0}[511:256]", "Zmm"),
        new(XFeatures.Avx512Hi16Zmm, "AVX-512 Hi16_ZMM", 1024, 16, 64, "ZMM{0}", "Zmm", firstRegister: 16),
        new(XFeatures.ProcessorTrace, "PT", 0, 0, 0, string.Empty, "none", supervisor: true),
        new(XFeatures.Pkru, "PKRU", 8, 1, 4, "PKRU", "Pkru"),
        new(XFeatures.Pasid, "PASID", 0, 0, 0, string.Empty, "none", supervisor: true),
        new(XFeatures.CetUser, "CET_U", 16, 2, 8, "IA32_U_CET IA32_PL3_SSP", "none", supervisor: true),
        new(XFeatures.CetSupervisor, "CET_S", 24, 3, 8, "IA32_PL0_SSP IA32_PL1_SSP IA32_PL2_SSP", "none", supervisor: true),
        new(XFeatures.Hdc, "HDC", 0, 0, 0, string.Empty, "none", supervisor: true),
        new(XFeatures.Uintr, "UINTR", 0, 0, 0, string.Empty, "none", supervisor: true),
        new(XFeatures.Lbr, "LBR", 0, 0, 0, string.Empty, "none", supervisor: true),
        new(XFeatures.Hwp, "HWP", 0, 0, 0, string.Empty, "none", supervisor: true),
        new(XFeatures.AmxTileConfig, "AMX TILECFG", 64, 1, 64, "TILECFG", "TileConfig"),
        new(XFeatures.AmxTileData, "AMX TILEDATA", 8192, 8, 1024, "TMM{0}", "none (past the page)"),
        new(XFeatures.Apx, "APX", 128, 16, 8, "R{0}", "Apx", firstRegister: 16),
    ];
}
