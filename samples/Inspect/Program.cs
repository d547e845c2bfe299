// The main job: save this thread's live extended state, print it as tables, restore it, and show
// the machine code the generator assembled for the thunks that did the work. With a file argument
// it reads a saved area, an XSAVE image or a Linux core file instead (on any CPU). The tables come
// from the xsave tool (XSave.Tool).
using System;
using XSave;
using XSave.Tool;

if (args.Length > 0)
{
    return Cli.Run(["read", .. args], Console.Out, Console.Error, Style.ForConsole());
}

if (!XSaveArea.IsSupported)
{
    Console.WriteLine("XSAVE cannot run here (not x86-64, or not enabled by the OS): nothing live to inspect.");
    return 0;
}

XSaveArea area = default;
area.Save();
StateReport.Write(Console.Out, Style.ForConsole(), area, live: true);

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
