using System;
using System.Collections.Generic;
using System.Linq;

namespace XSave.Tool;

/// <summary>
/// What the tool says about one state, built once and rendered twice: as text
/// (<see cref="TextReport"/>) and as JSON (<see cref="JsonReport"/>), so the two never disagree.
/// </summary>
internal sealed record Report(IReadOnlyList<ReportSection> Sections)
{
    /// <summary>
    /// The report of <paramref name="area"/>. <paramref name="enabled"/> is the XCR0 the state was
    /// saved under where known (the live CPU's, or the image's): components it does not enable
    /// are not shown, rather than shown as zeros.
    /// </summary>
    public static Report Of(XSaveArea area, string source, XFeatures? enabled, XSaveImage? image, ThreadFacts? thread = null)
    {
        XFeatures inUse = area.Header.XStateBv;
        bool legacyOnly = image?.Format == XSaveImageFormat.FxSave;
        enabled = legacyOnly ? XFeatures.X87 | XFeatures.Sse : enabled; // nothing else was recorded: show nothing else
        bool Shows(XFeatures feature) => area.Layout?.Slot(feature) is not null && (enabled is not { } xcr0 || xcr0.HasFlag(feature));

        var sections = new List<ReportSection> { new("State", InitState: false, StateItems(area, source, enabled, image, thread, legacyOnly)) };
        sections.Add(new("x87", InitState: !inUse.HasFlag(XFeatures.X87), X87Items(area.Legacy)));
        sections.Add(new("SSE", InitState: !inUse.HasFlag(XFeatures.Sse),
        [
            new("MXCSR", $"0x{(uint)area.Legacy.Mxcsr:X8}  {MxcsrText(area.Legacy.Mxcsr)}", "mxcsr", Hex((uint)area.Legacy.Mxcsr)),
            new("MXCSR_MASK", $"0x{(uint)area.Legacy.MxcsrMask:X8}", "mxcsrMask", Hex((uint)area.Legacy.MxcsrMask)),
        ]));
        sections.Add(VectorSection(area, inUse, thread?.VectorRegisters ?? 16, Shows(XFeatures.Avx)));
        sections.AddRange(LaterComponents(area, inUse, Shows));
        sections.AddRange(SupervisorComponents(area, inUse));
        return new Report(sections);
    }

    // Where the state came from and what its header says.
    private static List<ReportItem> StateItems(XSaveArea area, string source, XFeatures? enabled, XSaveImage? image, ThreadFacts? thread, bool legacyOnly)
    {
        XSaveHeader header = area.Header;
        var state = new List<ReportItem> { new("source", source, "source", source) };
        if (thread is not null)
        {
            state.AddRange(thread.Items());
        }

        if (legacyOnly)
        {
            state.Add(new("recorded", "the legacy region only (x87, MXCSR, XMM): the producer recorded no AVX or later state", "legacyOnly", true));
        }
        if (image is not null)
        {
            state.Add(new("format", $"{image.Format}, {image.Length} bytes", "format", image.Format.ToString()));
            state.Add(new("length", image.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), "length", (double)image.Length, Text: false));
            state.Add(new("dropped (past the page)", Features(image.Dropped), "dropped", Hex((ulong)image.Dropped), Text: image.Dropped != XFeatures.None));
        }

        if (enabled is { } known && !legacyOnly)
        {
            // A legacy-only state records no XCR0: showing the x87 and SSE it implies would claim more.
            state.Add(new("enabled (XCR0)", Features(known), "xcr0", Hex((ulong)known)));
        }

        if (image is null)
        {
            state.Add(new("saved", Features(XSaveArea.SavedFeatures), "saved", Hex((ulong)XSaveArea.SavedFeatures)));
            state.Add(new("left out (too big for the page)", Features(XSaveArea.UnsavedFeatures), "leftOut", Hex((ulong)XSaveArea.UnsavedFeatures)));
        }

        string layout = image?.Layout.Name ?? area.Layout?.Name ?? "unknown";
        state.Add(new("layout", layout, "layout", layout));
        if (image is not null)
        {
            state.Add(new("layout from", Source(image.LayoutSource), "layoutSource", image.LayoutSource.ToString()));
        }

        state.Add(new("XSTATE_BV (not in init state)", Features(header.XStateBv), "xstateBv", Hex((ulong)header.XStateBv)));
        state.Add(new("XCOMP_BV", $"0x{header.XCompBv:X16}{(header.IsCompacted ? " (compacted)" : " (standard format)")}", "xcompBv", Hex(header.XCompBv)));
        return state;
    }

    private static List<ReportItem> X87Items(LegacyRegion legacy)
    {
        var x87 = new List<ReportItem>
        {
            new("FCW", $"0x{(ushort)legacy.Fcw:X4}  {ControlWord(legacy.Fcw)}", "fcw", Hex((ushort)legacy.Fcw)),
            new("FSW", $"0x{(ushort)legacy.Fsw:X4}  TOP={legacy.Top} {Flags((ulong)(legacy.Fsw & ~X87StatusWord.TopMask), typeof(X87StatusWord))}", "fsw", Hex((ushort)legacy.Fsw)),
            new("FTW (abridged)", $"0x{legacy.AbridgedFtw:X2}  ({System.Numerics.BitOperations.PopCount(legacy.AbridgedFtw)} of 8 registers in use)", "ftw", Hex(legacy.AbridgedFtw)),
            new("FOP / FIP / FDP", $"0x{legacy.Fop:X3} / 0x{legacy.Fip:X16} / 0x{legacy.Fdp:X16}", "fip", Hex(legacy.Fip)),
            new("FOP", string.Empty, "fop", Hex(legacy.Fop), Text: false),
            new("FDP", string.Empty, "fdp", Hex(legacy.Fdp), Text: false),
        };
        for (int i = 0; i < 8; i++)
        {
            X87Register st = legacy.St[i];
            bool valid = (legacy.AbridgedFtw & (1 << ((legacy.Top + i) & 7))) != 0;
            double value = st.ToDouble();
            var json = new Dictionary<string, object>
            {
                ["raw"] = $"{st.SignAndExponent:X4}{st.Significand:X16}",
                ["value"] = double.IsFinite(value) ? value : value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            x87.Add(new($"ST{i}", valid ? st.ToString() : $"empty ({st})", "st[]", json, Dim: !valid));
        }

        return x87;
    }

    // YMM where AVX is shown (a row's low half is the XMM register, SSE's; AVX holds only the upper halves), else XMM.
    private static ReportSection VectorSection(XSaveArea area, XFeatures inUse, int registers, bool avx) => avx
        ? new("AVX  (YMM: upper half AVX, low half XMM)", InitState: !inUse.HasFlag(XFeatures.Avx),
            Enumerable.Range(0, registers).Select(i => new ReportItem($"YMM{i}", area.Ymm(i).ToString(), "ymm[]", area.Ymm(i).ToString())).ToList(),
            InitNote: "(AVX in its init state: upper halves zero)")
        : new("XMM", InitState: !inUse.HasFlag(XFeatures.Sse),
            Enumerable.Range(0, registers).Select(i => new ReportItem($"XMM{i}", area.Legacy.Xmm[i].ToString(), "xmm[]", area.Legacy.Xmm[i].ToString())).ToList());

    // Every later component, in bit order, as the component table describes it; AVX-512's two
    // ZMM components are one section of whole registers.
    private static IEnumerable<ReportSection> LaterComponents(XSaveArea area, XFeatures inUse, Func<XFeatures, bool> shows)
    {
        bool zmmShown = false;
        foreach (StateComponent component in StateComponent.All.Where(c => c.HasView && c.Feature > XFeatures.Avx && shows(c.Feature)))
        {
            if ((component.Feature & ZmmViews) == 0)
            {
                yield return new(component.Name, InitState: !inUse.HasFlag(component.Feature),
                    Enumerable.Range(0, component.RegisterCount).Select(i => RegisterItem(area, component, i)).ToList());
            }
            else if (!zmmShown)
            {
                zmmShown = true;
                yield return new("AVX-512  (ZMM: YMM with ZMM_Hi256 for 0–15, Hi16_ZMM for 16–31)", InitState: (inUse & ZmmViews) == 0,
                    Enumerable.Range(0, 32).Select(i => new ReportItem($"ZMM{i}", area.Zmm(i).ToString(), "zmm[]", area.Zmm(i).ToString())).ToList());
            }
        }
    }

    // Supervisor components a producer exposes to user mode (Windows contexts carry CET_U), raw.
    private static IEnumerable<ReportSection> SupervisorComponents(XSaveArea area, XFeatures inUse)
    {
        foreach (StateComponent component in StateComponent.All.Where(c => c.IsSupervisor && c.RegisterCount > 0 && inUse.HasFlag(c.Feature)))
        {
            if (area.Layout?.Slot(component.Feature) is { } slot && slot.End <= XSaveArea.Size)
            {
                byte[] bytes = area.ToArray()[slot.Offset..slot.End];
                yield return new(component.Name, InitState: false, Enumerable.Range(0, component.RegisterCount)
                    .Select(i => Word(component.RegisterName(i), component.RegisterName(i).ToLowerInvariant(), bytes.AsSpan(i * component.RegisterWidth, component.RegisterWidth))).ToList());
            }
        }
    }

    /// <summary>A thread whose producer recorded no floating-point state: who it is, and that.</summary>
    public static Report NoState(string source, ThreadFacts thread, string reason)
    {
        var state = new List<ReportItem> { new("source", source, "source", source) };
        state.AddRange(thread.Items());
        state.Add(new("recorded", reason, "noState", reason));
        return new Report([new ReportSection("State", InitState: false, state)]);
    }

    // The components the ZMM view joins into whole registers.
    private const XFeatures ZmmViews = XFeatures.Avx512ZmmHi256 | XFeatures.Avx512Hi16Zmm;

    // One register of a component in hex (most significant byte first); its JSON name is the
    // register's without its number, an array where registers are numbered ("k[]", "pkru").
    private static ReportItem RegisterItem(XSaveArea area, StateComponent component, int index)
    {
        string name = component.RegisterName(index);
        ReadOnlySpan<byte> bytes = area.GetRegister(component.Feature, index);
        string family = name.TrimEnd("0123456789".ToCharArray()).ToLowerInvariant();
        string jsonName = family.Length < name.Length ? family + "[]" : family;
        if (bytes.Length <= sizeof(ulong))
        {
            return Word(name, jsonName, bytes);
        }

        var hex = new System.Text.StringBuilder("0x");
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            hex.Append(bytes[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return new ReportItem(name, hex.ToString(), jsonName, hex.ToString());
    }

    // A register of at most eight bytes, in hex with all its digits.
    private static ReportItem Word(string name, string jsonName, ReadOnlySpan<byte> bytes)
    {
        Span<byte> word = stackalloc byte[sizeof(ulong)];
        word.Clear();
        bytes.CopyTo(word);
        ulong value = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(word);
        return new ReportItem(name, "0x" + value.ToString("X" + (2 * bytes.Length), System.Globalization.CultureInfo.InvariantCulture), jsonName, Hex(value));
    }

    private static string Source(LayoutSource source) => source switch
    {
        LayoutSource.KernelNote => "the kernel's layout note",
        LayoutSource.Compacted => "XCOMP_BV, the image describes itself",
        LayoutSource.Recorded => "the descriptor recorded in bytes 464-511",
        LayoutSource.Xcr0AndSize => "the image's XCR0 and size",
        LayoutSource.TablesAgree => "every vendor table agrees on the components in use",
        LayoutSource.ThisCpu => "nothing in the image: this CPU's layout assumed",
        LayoutSource.ThreadOnThisCpu => "a thread of this machine: this CPU's layout",
        LayoutSource.LegacyRegionOnly => "FXSAVE image, nothing to locate",
        LayoutSource.MinidumpXStateData => "the minidump's XStateData (MINIDUMP_MISC_INFO_5)",
        _ => "given by the caller",
    };

    public static string Features(XFeatures features) =>
        features == XFeatures.None ? "none" : $"0x{(ulong)features:X}  {Flags((ulong)features, typeof(XFeatures))}";

    private static string Hex(ulong value) => $"0x{value:X}";

    internal static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        19 => "SIGSTOP",
        31 => "SIGSYS",
        _ => "signal " + signal.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string Flags(ulong bits, Type type) => string.Join(" ", Enumerable.Range(0, 64)
        .Where(i => (bits & (1UL << i)) != 0)
        .Select(i => FlagName(type, 1UL << i) ?? $"bit{i}"));

    private static string? FlagName(Type type, ulong bit) =>
        type == typeof(XFeatures) ? Enum.GetName((XFeatures)bit)
        : type == typeof(X87StatusWord) ? Enum.GetName((X87StatusWord)bit)
        : type == typeof(X87ControlWord) ? Enum.GetName((X87ControlWord)bit)
        : Enum.GetName((Mxcsr)bit);

    private static string ControlWord(X87ControlWord fcw)
    {
        string[] precision = ["single (24-bit)", "reserved", "double (53-bit)", "extended (64-bit)"];
        return $"masks:{Flags((ulong)(fcw & X87ControlWord.AllExceptionMasks), typeof(X87ControlWord))} precision={precision[((int)fcw >> 8) & 3]} rounding={Rounding((int)fcw >> 10)}";
    }

    private static string MxcsrText(Mxcsr mxcsr)
    {
        ulong flags = (uint)mxcsr & 0x3F, modes = (uint)(mxcsr & (Mxcsr.DenormalsAreZeros | Mxcsr.FlushToZero));
        return $"flags:{(flags == 0 ? "none" : Flags(flags, typeof(Mxcsr)))} masks:{Flags((uint)(mxcsr & Mxcsr.AllExceptionMasks), typeof(Mxcsr))} rounding={Rounding((int)mxcsr >> 13)}{(modes != 0 ? " " + Flags(modes, typeof(Mxcsr)) : string.Empty)}";
    }

    private static string Rounding(int bits) => (bits & 3) switch
    {
        0 => "nearest",
        1 => "down",
        2 => "up",
        _ => "toward zero",
    };
}

/// <summary>
/// A thread's identity in a core, a minidump or a live process: its id, the signal that stopped
/// it (0: none recorded; null where the format has none), and what its format adds.
/// </summary>
internal sealed record ThreadFacts(long Id, int? Signal)
{
    /// <summary>The thread's name, where the format records one.</summary>
    public string? Name { get; init; }

    /// <summary>Which record of the file the state came from, where there are several.</summary>
    public string? Context { get; init; }

    /// <summary>Facts of the format worth saying (a context's flags, a 32-bit legacy layout, a disagreeing MXCSR).</summary>
    public IReadOnlyList<ReportItem> Notes { get; init; } = [];

    /// <summary>How many XMM (and YMM) registers the thread has: 8 in a 32-bit process.</summary>
    public int VectorRegisters { get; init; } = 16;

    public IEnumerable<ReportItem> Items()
    {
        yield return new("thread", Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "id", (double)Id);
        if (Name is not null)
        {
            yield return new("name", Name, "name", Name);
        }

        if (Context is not null)
        {
            yield return new("context", Context, "context", Context);
        }

        if (Signal is { } signal)
        {
            yield return new("signal", signal == 0 ? "none recorded" : $"{signal} ({Report.SignalName(signal)})", "signal", (double)signal);
        }

        foreach (ReportItem note in Notes)
        {
            yield return note;
        }
    }
}

/// <summary>
/// A group of items under one heading; <paramref name="InitState"/> marks a component XSTATE_BV
/// says is in its init state, said with <paramref name="InitNote"/> where "(init state)" would
/// claim more than the component holds.
/// </summary>
internal sealed record ReportSection(string Title, bool InitState, IReadOnlyList<ReportItem> Items, string InitNote = "(init state)");

/// <summary>
/// One fact: its label and text for people, its JSON name and value for scripts (a name ending
/// in "[]" appends to an array of that name). <paramref name="Text"/> false keeps it out of the
/// text (said elsewhere there); <paramref name="Dim"/> shows it dimmed.
/// </summary>
internal sealed record ReportItem(string Label, string Value, string JsonName, object Json, bool Text = true, bool Dim = false);
