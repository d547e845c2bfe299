using System.IO;
using System.Text.Json;

namespace XSave.Tool;

/// <summary>One JSON object per area, for scripts: numbers as hex strings, registers as hex.</summary>
internal static class JsonReport
{
    public static void Write(TextWriter output, in XSaveArea area, string source, bool live, XSaveImage? image = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("source", source);
            if (image is not null)
            {
                json.WriteString("format", image.Format.ToString());
                json.WriteNumber("length", image.Length);
                json.WriteString("dropped", Hex((ulong)image.Dropped));
            }

            if (live)
            {
                json.WriteString("xcr0", Hex((ulong)XSaveArea.EnabledFeatures));
                json.WriteString("saved", Hex((ulong)XSaveArea.SavedFeatures));
                json.WriteString("leftOut", Hex((ulong)XSaveArea.UnsavedFeatures));
            }

            json.WriteString("layout", area.Layout?.Name ?? "unknown");
            json.WriteString("xstateBv", Hex((ulong)area.Header.XStateBv));
            json.WriteString("xcompBv", Hex(area.Header.XCompBv));
            json.WriteString("fcw", Hex((ushort)area.Legacy.Fcw));
            json.WriteString("fsw", Hex((ushort)area.Legacy.Fsw));
            json.WriteString("mxcsr", Hex((uint)area.Legacy.Mxcsr));
            json.WriteStartArray("st");
            for (int i = 0; i < 8; i++)
            {
                json.WriteStartObject();
                json.WriteString("raw", $"{area.Legacy.St[i].SignAndExponent:X4}{area.Legacy.St[i].Significand:X16}");
                double value = area.Legacy.St[i].ToDouble();
                if (double.IsFinite(value))
                {
                    json.WriteNumber("value", value);
                }
                else
                {
                    json.WriteString("value", value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("ymm");
            for (int i = 0; i < 16; i++)
            {
                json.WriteStringValue(area.Ymm(i).ToString());
            }

            json.WriteEndArray();
            if (StateReport.Shows(area, XFeatures.Avx512Opmask, live))
            {
                json.WriteStartArray("k");
                for (int k = 0; k < 8; k++)
                {
                    json.WriteStringValue(Hex(area.Opmask(k)));
                }

                json.WriteEndArray();
                json.WriteStartArray("zmm");
                for (int i = 0; i < 32; i++)
                {
                    json.WriteStringValue(area.Zmm(i).ToString());
                }

                json.WriteEndArray();
            }

            if (StateReport.Shows(area, XFeatures.Pkru, live))
            {
                json.WriteString("pkru", Hex(area.Pkru));
            }

            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static string Hex(ulong value) => $"0x{value:X}";
}
