using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace XSave.Tool;

/// <summary>xsave save FILE: this thread's live state, written to a file.</summary>
internal static class SaveCommand
{
    public static int Run(string path, TextWriter output)
    {
        XSaveArea area = default;
        area.Save();
        File.WriteAllBytes(path, area.ToArray());
        output.WriteLine($"Saved this thread's state to {path} ({XSaveArea.Size} bytes, layout recorded).");
        return 0;
    }
}
