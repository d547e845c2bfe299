using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace XSave.Tool;

/// <summary>A <see cref="Report"/> as one JSON object for scripts: numbers as hex strings, registers as hex, arrays for register files.</summary>
internal static class JsonReport
{
    /// <summary>Text as written (apostrophes, non-ASCII): this JSON goes to scripts and terminals, never into HTML.</summary>
    public static readonly System.Text.Encodings.Web.JavaScriptEncoder Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    public static void Write(TextWriter output, Report report) => Document(output, json => WriteObject(json, report));

    /// <summary>
    /// Several threads as one document: <c>{"source", …facts, "threads": [report, …]}</c>, each
    /// thread's object as <see cref="Write"/> writes one state (with its "id" and "signal").
    /// </summary>
    public static void WriteThreads(TextWriter output, IReadOnlyList<(string Name, object Value)> facts, IEnumerable<Report> threads) => Document(output, json =>
    {
        json.WriteStartObject();
        foreach (var (name, value) in facts)
        {
            json.WritePropertyName(name);
            WriteValue(json, value);
        }

        json.WriteStartArray("threads");
        foreach (Report thread in threads)
        {
            WriteObject(json, thread);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    });

    private static void Document(TextWriter output, System.Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = Encoder }))
        {
            write(json);
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteObject(Utf8JsonWriter json, Report report)
    {
        // Items of one array ("st[]") are gathered first, in order, so each array is written once.
        var arrays = new Dictionary<string, List<object>>();
        var order = new List<(string Name, object? Value)>();
        foreach (ReportSection section in report.Sections)
        {
            foreach (ReportItem item in section.Items)
            {
                if (item.JsonName.EndsWith("[]", System.StringComparison.Ordinal))
                {
                    string name = item.JsonName[..^2];
                    if (!arrays.TryGetValue(name, out List<object>? values))
                    {
                        arrays[name] = values = [];
                        order.Add((name, null));
                    }

                    values.Add(item.Json);
                }
                else
                {
                    order.Add((item.JsonName, item.Json));
                }
            }
        }

        json.WriteStartObject();
        foreach (var (name, value) in order)
        {
            json.WritePropertyName(name);
            WriteValue(json, value ?? arrays[name]);
        }

        json.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter json, object value)
    {
        switch (value)
        {
            case string text:
                json.WriteStringValue(text);
                break;
            case double number:
                json.WriteNumberValue(number);
                break;
            case bool flag:
                json.WriteBooleanValue(flag);
                break;
            case Dictionary<string, object> fields:
                json.WriteStartObject();
                foreach (var (name, field) in fields)
                {
                    json.WritePropertyName(name);
                    WriteValue(json, field);
                }

                json.WriteEndObject();
                break;
            case List<object> items:
                json.WriteStartArray();
                foreach (object item in items)
                {
                    WriteValue(json, item);
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteStringValue(value.ToString());
                break;
        }
    }
}
