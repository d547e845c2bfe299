using System.IO;
using System.Text;

namespace XSave.Tests.Docs;

/// <summary>
/// The docs' tables of components and layouts are rendered from the code's own tables: a change
/// to either shows here, and XSAVE_ACCEPT_SNAPSHOTS=1 writes the new table into the doc.
/// </summary>
public class DocumentedTablesTests
{
    [Test]
    public void The_component_table_in_docs_is_the_codes()
    {
        var table = new StringBuilder("| bit | component | size | registers | read by | saved |\n|---|---|---|---|---|---|\n");
        foreach (StateComponent c in StateComponent.All)
        {
            string registers = c.RegisterCount == 0 ? "—"
                : c.RegisterCount == 1 ? $"{c.RegisterName(0)} ({c.RegisterWidth} bytes)"
                : $"{c.RegisterName(0)}–{c.RegisterName(c.RegisterCount - 1)} ({c.RegisterCount} × {c.RegisterWidth} bytes)";
            string size = c.Size == 0 ? (c.IsSupervisor ? "(supervisor)" : "legacy region") : c.Size.ToString(System.Globalization.CultureInfo.InvariantCulture);
            table.Append($"| {c.Bit} | {c.Name} | {size} | {registers} | {c.View} | {(c.IsSaved ? "yes" : "no")} |\n");
        }

        MatchSection("components.md", "components", table.ToString());
    }

    [Test]
    public void The_vendor_offsets_in_docs_are_the_codes()
    {
        var table = new StringBuilder("| bit | component | size |");
        table.Append(string.Concat(XSaveLayout.Known.Select(l => $" {l.Name} |"))).Append('\n');
        table.Append("|---|---|---|").Append(string.Concat(XSaveLayout.Known.Select(_ => "---|"))).Append('\n');
        foreach (StateComponent c in StateComponent.All.Where(c => XSaveLayout.Known.Any(l => l.Slot(c.Feature) is not null)))
        {
            table.Append($"| {c.Bit} | {c.Name} | {c.Size} |");
            foreach (XSaveLayout layout in XSaveLayout.Known)
            {
                table.Append(layout.Slot(c.Feature) is not { } slot ? " — |"
                    : $" {slot.Offset}{(slot.Size != c.Size ? $" (a {slot.Size}-byte slot)" : string.Empty)}{(slot.End > XSaveArea.Size ? " (past the page)" : string.Empty)} |");
            }

            table.Append('\n');
        }

        MatchSection("layouts.md", "vendor offsets", table.ToString());
    }

    // The lines between "<!-- generated: {name} -->" and "<!-- end of generated -->" in docs/{doc}.
    private static void MatchSection(string doc, string name, string expected)
    {
        string path = Path.Combine(Repository.Root, "docs", doc);
        string text = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
        string start = $"<!-- generated: {name} (XSave.Tests/Docs/DocumentedTablesTests.cs) -->\n", end = "<!-- end of generated -->";
        int from = text.IndexOf(start, StringComparison.Ordinal);
        int to = from < 0 ? -1 : text.IndexOf(end, from, StringComparison.Ordinal);
        Assert.That(to, Is.GreaterThan(from), $"{path} has no section \"{start.TrimEnd()}\" … \"{end}\".");
        string actual = text[(from + start.Length)..to];
        if (actual != expected && Environment.GetEnvironmentVariable("XSAVE_ACCEPT_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, text[..(from + start.Length)] + expected + text[to..]);
            return;
        }

        Assert.That(actual, Is.EqualTo(expected), $"docs/{doc} differs from the code's table; XSAVE_ACCEPT_SNAPSHOTS=1 writes the code's.");
    }
}
