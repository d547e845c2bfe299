using System;
using System.IO;
using System.Linq;

namespace XSave.Tool;

/// <summary>An area as readable tables: control words decoded, registers, components in init state marked.</summary>
internal static class StateReport
{
    public static void Write(TextWriter output, Style style, in XSaveArea area, bool live)
    {
        XSaveHeader header = area.Header;
        LegacyRegion legacy = area.Legacy;
        XFeatures inUse = header.XStateBv;
        string Marked(XFeatures feature) => inUse.HasFlag(feature) ? string.Empty : style.Dim("  (init state)");
        void Row(string name, string value) => output.WriteLine($"  {name,-32} {value}");

        output.WriteLine(style.Heading("Features"));
        if (live)
        {
            Row("enabled (XCR0)", Features(XSaveArea.EnabledFeatures));
            Row("saved", Features(XSaveArea.SavedFeatures));
            Row("left out (too big for the page)", Features(XSaveArea.UnsavedFeatures));
        }

        Row("XSTATE_BV (not in init state)", Features(inUse));
        Row("XCOMP_BV", $"0x{header.XCompBv:X16}{(header.IsCompacted ? " (compacted)" : " (standard format)")}");
        Row("layout", area.Layout?.Name ?? "unknown");

        output.WriteLine();
        output.WriteLine(style.Heading($"x87{Marked(XFeatures.X87)}"));
        Row("FCW", $"0x{(ushort)legacy.Fcw:X4}  {ControlWord(legacy.Fcw)}");
        Row("FSW", $"0x{(ushort)legacy.Fsw:X4}  TOP={legacy.Top} {Flags((ulong)(legacy.Fsw & ~X87StatusWord.TopMask), typeof(X87StatusWord))}");
        Row("FTW (abridged)", $"0x{legacy.AbridgedFtw:X2}  ({System.Numerics.BitOperations.PopCount(legacy.AbridgedFtw)} of 8 registers in use)");
        Row("FOP / FIP / FDP", $"0x{legacy.Fop:X3} / 0x{legacy.Fip:X16} / 0x{legacy.Fdp:X16}");
        for (int i = 0; i < 8; i++)
        {
            X87Register st = legacy.St[i];
            bool valid = (legacy.AbridgedFtw & (1 << ((legacy.Top + i) & 7))) != 0;
            Row($"ST{i}", valid ? st.ToString() : style.Dim($"empty ({st})"));
        }

        output.WriteLine();
        output.WriteLine(style.Heading($"SSE{Marked(XFeatures.Sse)}"));
        Row("MXCSR", $"0x{(uint)legacy.Mxcsr:X8}  {MxcsrText(legacy.Mxcsr)}");
        Row("MXCSR_MASK", $"0x{(uint)legacy.MxcsrMask:X8}");
        output.WriteLine(style.Heading($"AVX{Marked(XFeatures.Avx)}"));
        for (int i = 0; i < 16; i++)
        {
            Row($"YMM{i}", area.Ymm(i).ToString());
        }

        if (Shows(area, XFeatures.Avx512Opmask, live))
        {
            output.WriteLine();
            output.WriteLine(style.Heading($"AVX-512{Marked(XFeatures.Avx512Opmask)}"));
            for (int k = 0; k < 8; k++)
            {
                Row($"K{k}", $"0x{area.Opmask(k):X16}");
            }

            for (int i = 0; i < 32; i++)
            {
                Row($"ZMM{i}", area.Zmm(i).ToString());
            }
        }

        if (Shows(area, XFeatures.Pkru, live))
        {
            output.WriteLine();
            Row($"PKRU{Marked(XFeatures.Pkru)}", $"0x{area.Pkru:X8}");
        }
    }

    /// <summary>Whether the area's layout has the component and (live) the OS enabled it.</summary>
    public static bool Shows(in XSaveArea area, XFeatures feature, bool live) =>
        area.Layout?.Slot(feature) is not null &&
        (!live || XSaveArea.EnabledFeatures.HasFlag(feature));

    public static string Features(XFeatures features) =>
        features == XFeatures.None ? "none" : $"0x{(ulong)features:X}  {Flags((ulong)features, typeof(XFeatures))}";

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
