using System;
using System.Globalization;
using System.IO;
using Iced.Intel;

namespace XSave.Tool;

/// <summary>
/// Shows thunk code as its bytes say: each instruction the stored listing names is decoded again
/// from the page's bytes with Iced, formatted as the generator formats it, and written in place
/// of the stored line. A stored line that differs is shown beneath, marked; the caller turns any
/// difference into a non-zero exit. The thunks' names come from the listing: bytes carry none.
/// </summary>
internal static class ThunkDisassembly
{
    /// <summary>Writes the decoded listing of <paramref name="page"/> and returns how many stored lines disagree with it.</summary>
    public static int Write(ReadOnlySpan<byte> page, string listing, TextWriter output, Style style)
    {
        var formatter = new IntelFormatter();
        formatter.Options.UppercaseHex = true;
        var text = new StringOutput();
        int thunk = 0, differences = 0;
        foreach (string line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length >= 6 && line.StartsWith("0x", StringComparison.Ordinal) && TryHex(line.AsSpan(2, 4), out thunk))
            {
                output.WriteLine(line);
                continue;
            }

            string decoded = line.Length > 6 && TryHex(line.AsSpan(2, 4), out int offset) && thunk + offset < page.Length
                ? Decode(page, thunk, offset, formatter, text)
                : $"  {line.Trim()}  (not an instruction line of the listing)";
            output.WriteLine(decoded);
            if (decoded != line.TrimEnd())
            {
                differences++;
                output.WriteLine(style.Dim($"  ^ the stored listing says: {line.Trim()}"));
            }
        }

        return differences;
    }

    private static string Decode(ReadOnlySpan<byte> page, int thunk, int offset, IntelFormatter formatter, StringOutput text)
    {
        int start = thunk + offset;
        byte[] bytes = page[start..Math.Min(page.Length, start + 15)].ToArray(); // 15: the longest x86 instruction
        // At its offset in the thunk, as the generator decoded it: branch targets are thunk-relative.
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(bytes), (ulong)offset);
        decoder.Decode(out Instruction instruction);
        formatter.Format(instruction, text);
        string hex = Convert.ToHexString(bytes, 0, Math.Max(instruction.Length, 1));
        return string.Format(CultureInfo.InvariantCulture, "  {0:X4}  {1,-20}{2}", offset, hex, text.ToStringAndReset());
    }

    private static bool TryHex(ReadOnlySpan<char> digits, out int value) =>
        int.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
}
