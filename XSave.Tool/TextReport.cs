using System.IO;

namespace XSave.Tool;

/// <summary>A <see cref="Report"/> as readable tables: one heading per section, one row per item.</summary>
internal static class TextReport
{
    public static void Write(TextWriter output, Style style, Report report)
    {
        bool first = true;
        foreach (ReportSection section in report.Sections)
        {
            if (!first)
            {
                output.WriteLine();
            }

            first = false;
            output.WriteLine(style.Heading(section.Title + (section.InitState ? style.Dim("  " + section.InitNote) : string.Empty)));
            foreach (ReportItem item in section.Items)
            {
                if (item.Text)
                {
                    output.WriteLine($"  {item.Label,-32} {(item.Dim ? style.Dim(item.Value) : item.Value)}");
                }
            }
        }
    }
}
