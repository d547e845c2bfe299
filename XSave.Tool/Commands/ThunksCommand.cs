using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace XSave.Tool;

/// <summary>xsave thunks [ASSEMBLY.dll]: the generated machine code decoded from its bytes and checked against its stored listing.</summary>
internal static class ThunksCommand
{
    // Each mapping's bytes, decoded where they are mapped, checked against the listing recorded with them.
    public static unsafe int Run(TextWriter output, Style style)
    {
        _ = XSaveArea.EnabledFeatures; // the first thunk call maps the runtime's page
        int differences = 0;
        foreach (ExecutableMapping mapping in ExecutableMemory.Mappings)
        {
            output.WriteLine(style.Heading($"{mapping.Owner} at 0x{mapping.Address:X}, {mapping.Length} bytes, read+execute"));
            if (mapping.Listing.Length == 0)
            {
                output.WriteLine("  (mapped without a listing: nothing says where its instructions start)");
                continue;
            }

            differences += ThunkDisassembly.Write(new ReadOnlySpan<byte>((void*)mapping.Address, mapping.Length), mapping.Listing, output, style);
        }

        return ThrowIfDiffering(differences, "mapped bytes");
    }

    private static int ThrowIfDiffering(int differences, string bytes) => differences == 0
        ? 0
        : throw new InvalidDataException($"{differences} line(s) of the stored listing differ from the {bytes} (each marked above with the line the listing stores).");

    /// <summary>
    /// The thunks an application assembly carries (<see cref="AssemblyThunkPage"/>: read from its
    /// metadata, so any assembly on any CPU), for this OS's calling convention, decoded and
    /// checked against the listing stored with them.
    /// </summary>
    public static int RunOnAssembly(string path, TextWriter output, Style style)
    {
        bool windows = OperatingSystem.IsWindows();
        if (AssemblyThunkPage.Read(path, windows) is not { } page)
        {
            output.WriteLine($"{path} carries no [XSaveThunk] thunks.");
            return 0;
        }

        output.WriteLine(style.Heading($"{page.AssemblyName} ({path}): [XSaveThunk] thunks, {(windows ? "Windows" : "System V")} calling convention, {page.Code.Length} bytes, decoded"));
        return ThrowIfDiffering(ThunkDisassembly.Write(page.Code, page.Listing, output, style), "assembly's bytes");
    }
}
