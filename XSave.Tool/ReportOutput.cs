using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace XSave.Tool;

/// <summary>A report (or a process's reports) as text or as one JSON object.</summary>
internal static class ReportOutput
{
    public static void DescribeThreads(TextWriter output, Style style, bool json, IReadOnlyList<(string Name, object Value)> facts, List<Report> threads)
    {
        if (json)
        {
            JsonReport.WriteThreads(output, facts, threads);
            return;
        }

        foreach (Report thread in threads)
        {
            TextReport.Write(output, style, thread);
            output.WriteLine();
        }
    }

    public static void Describe(TextWriter output, Style style, bool json, XSaveImage image, string source)
    {
        Render(output, style, json, Report.Of(image.Area, source, image.Xcr0, image));
        if (!json)
        {
            output.WriteLine();
        }
    }

    public static void Render(TextWriter output, Style style, bool json, Report report)
    {
        if (json)
        {
            JsonReport.Write(output, report);
        }
        else
        {
            TextReport.Write(output, style, report);
        }
    }
}
