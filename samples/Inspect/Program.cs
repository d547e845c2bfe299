// The main job: save this thread's live extended state, print it, restore it, and show the
// machine code the generator assembled for the thunks that did the work. With a file argument it
// reads a saved area, an XSAVE image or a Linux core file instead (on any CPU); with --save FILE
// it writes the live state to FILE. Public API only: the xsave tool prints fuller tables.
using System;
using System.IO;
using XSave;
using XSave.Diagnostics;

try
{
    switch (args)
    {
        case ["--save", string target]:
            if (!XSaveArea.IsSupported)
            {
                Console.Error.WriteLine("Inspect: XSAVE cannot run here (not x86-64, or not enabled by the OS): nothing live to save.");
                return 1;
            }

            XSaveArea saved = default;
            saved.Save();
            File.WriteAllBytes(target, saved.ToArray());
            Console.WriteLine($"Saved this thread's state to {target} ({XSaveArea.Size} bytes, layout recorded).");
            return 0;
        case [string path] when !path.StartsWith('-'):
            ReadFile(path);
            return 0;
        case []:
            break;
        default:
            Console.Error.WriteLine("usage: Inspect [FILE | --save FILE]");
            return 2;
    }
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidXSaveImageException)
{
    Console.Error.WriteLine($"Inspect: {e.Message}");
    return 1;
}

if (!XSaveArea.IsSupported)
{
    Console.WriteLine("XSAVE cannot run here (not x86-64, or not enabled by the OS): nothing live to inspect.");
    return 0;
}

XSaveArea area = default;
area.Save();
Print($"This thread (XCR0 0x{(ulong)XSaveArea.EnabledFeatures:X}, saved 0x{(ulong)XSaveArea.SavedFeatures:X}, layout: {area.Layout?.Name})", area, XSaveArea.EnabledFeatures);

area.Load();
Console.WriteLine();
Console.WriteLine("Restored the saved state with XRSTOR (validated first).");

Console.WriteLine();
Console.WriteLine("Generated thunks (assembled at compile time with Iced), as mapped in this process");
foreach (ExecutableMapping mapping in ExecutableMemory.Mappings)
{
    Console.WriteLine($"{mapping.Owner} at 0x{mapping.Address:X}, {mapping.Length} bytes, read+execute:");
    Console.Write(mapping.Listing);
}

return 0;

static void ReadFile(string path)
{
    if (Directory.Exists(path))
    {
        throw new IOException($"'{path}' is a directory; pass a saved area, an XSAVE image or a Linux core file.");
    }

    byte[] bytes = File.ReadAllBytes(path);
    if (bytes.AsSpan().StartsWith("\u007FELF"u8))
    {
        foreach (LinuxCoreFile.ThreadState thread in LinuxCoreFile.ReadThreads(bytes))
        {
            Print($"{path}, thread {thread.ThreadId} ({thread.State.Format}, layout: {thread.State.Layout.Name})", thread.State.Area, thread.State.Xcr0);
        }
    }
    else
    {
        XSaveImage image = XSaveImage.Parse(bytes);
        Print($"{path} ({image.Format}, {image.Length} bytes, layout: {image.Layout.Name})", image.Area, image.Xcr0);
    }
}

static void Print(string title, in XSaveArea area, XFeatures? enabled)
{
    XFeatures inUse = area.Header.XStateBv;
    string State(XFeatures feature) => inUse.HasFlag(feature) ? string.Empty : "  (init state)";
    Console.WriteLine(title);
    Console.WriteLine($"  XSTATE_BV  0x{(ulong)inUse:X}  {inUse}");
    Console.WriteLine($"  XCOMP_BV   0x{area.Header.XCompBv:X}{(area.Header.IsCompacted ? "  (compacted)" : string.Empty)}");
    Console.WriteLine($"  FCW        0x{(ushort)area.Legacy.Fcw:X4}{State(XFeatures.X87)}");
    Console.WriteLine($"  FSW        0x{(ushort)area.Legacy.Fsw:X4}  TOP={area.Legacy.Top}");
    Console.WriteLine($"  MXCSR      0x{(uint)area.Legacy.Mxcsr:X8}  (MXCSR_MASK 0x{(uint)area.Legacy.MxcsrMask:X8})");
    for (int i = 0; i < 16; i++)
    {
        // The low half of each YMM row is XMM (SSE); the AVX component holds the upper halves.
        Console.WriteLine($"  YMM{i,-2}      {area.Ymm(i)}{(i == 0 && !inUse.HasFlag(XFeatures.Avx) ? "  (AVX in its init state: upper halves zero; the low halves are XMM)" : string.Empty)}");
    }

    // Only what the state's own XCR0 enables (where it says): components a machine never had are not shown as zeros.
    XFeatures shown = enabled ?? inUse;
    if (shown.HasFlag(XFeatures.Avx512Opmask))
    {
        for (int k = 0; k < 8; k++)
        {
            Console.WriteLine($"  K{k}         0x{area.Opmask(k):X16}{(k == 0 ? State(XFeatures.Avx512Opmask) : string.Empty)}");
        }
    }

    if (shown.HasFlag(XFeatures.Pkru))
    {
        Console.WriteLine($"  PKRU       0x{area.Pkru:X8}{State(XFeatures.Pkru)}");
    }
}
