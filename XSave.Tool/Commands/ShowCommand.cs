using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace XSave.Tool;

/// <summary>xsave show: save this thread's live state, print it, restore it.</summary>
internal static class ShowCommand
{
    public static int Run(TextWriter output, Style style, bool json)
    {
        if (!XSaveArea.IsSupported)
        {
            throw new PlatformNotSupportedException("XSAVE cannot run here (not x86-64, or not enabled by the OS); 'xsave read FILE' works anywhere.");
        }

        XSaveArea area = default;
        area.Save();
        area.Load(); // nothing the tool does changes the state; restoring proves the area is valid
        ReportOutput.Render(output, style, json, Report.Of(area, "live", XSaveArea.EnabledFeatures, image: null));
        return 0;
    }
}
