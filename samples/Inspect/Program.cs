// Saves the live extended state of this thread, prints it as tables, restores it, and shows the
// machine code the generator wrote for the thunks that did the work.
using System;
using System.Linq;
using XSave;

// With a file argument: read a saved area, any XSAVE image (NT_X86_XSTATE, FXSAVE, compacted) or
// a Linux core file, on any architecture. Without one: the live state of this thread.
// "--save FILE" writes the live state to FILE for later (or another machine).
XSaveArea area = default;
bool live = args.Length == 0 || args[0] == "--save";
if (!live)
{
    byte[] bytes = System.IO.File.ReadAllBytes(args[0]);
    if (bytes.AsSpan().StartsWith("\u007FELF"u8))
    {
        foreach (LinuxCoreFile.ThreadState thread in LinuxCoreFile.ReadThreads(bytes))
        {
            Console.WriteLine($"thread {thread.ThreadId}: {thread.State.Format}, layout {thread.State.Layout.Name}, in use {Features(thread.State.InUse)}");
            for (int i = 0; i < 16; i++)
            {
                Row($"YMM{i}", thread.State.Area.Ymm(i).ToString());
            }
        }

        return 0;
    }

    XSaveImage image = XSaveImage.Parse(bytes);
    area = image.Area;
    Console.WriteLine($"{args[0]}: {image.Format}, {image.Length} bytes, layout {image.Layout.Name}{(image.Dropped != 0 ? $", dropped {Features(image.Dropped)}" : "")}");
    Console.WriteLine();
}
else if (!XSaveArea.IsSupported)
{
    Console.WriteLine("XSAVE cannot run here (not x86-64, or not enabled by the OS): pass a saved area or image to read instead.");
    return 0;
}
else
{
    area.Save();
    if (args.Length == 2)
    {
        System.IO.File.WriteAllBytes(args[1], area.ToArray());
        Console.WriteLine($"Saved this thread's state to {args[1]}.");
    }
}

ref LegacyRegion legacy = ref area.Legacy;
ref XSaveHeader header = ref area.Header;

Console.WriteLine("Features");
if (live)
{
    Row("enabled (XCR0)", Features(XSaveArea.EnabledFeatures));
    Row("saved", Features(XSaveArea.SavedFeatures));
    Row("left out (too big for the page)", Features(XSaveArea.UnsavedFeatures));
}

Row("XSTATE_BV (not in init state)", Features(header.XStateBv));
Row("XCOMP_BV", $"0x{header.XCompBv:X16}{(header.IsCompacted ? " (compacted)" : " (standard format)")}");

Console.WriteLine();
Console.WriteLine("x87");
Row("FCW", $"0x{(ushort)legacy.Fcw:X4}  {ControlWord(legacy.Fcw)}");
Row("FSW", $"0x{(ushort)legacy.Fsw:X4}  TOP={legacy.Top} {Flags(legacy.Fsw & ~X87StatusWord.TopMask)}");
Row("FTW (abridged)", $"0x{legacy.AbridgedFtw:X2}  ({System.Numerics.BitOperations.PopCount(legacy.AbridgedFtw)} of 8 registers in use)");
Row("FOP / FIP / FDP", $"0x{legacy.Fop:X3} / 0x{legacy.Fip:X16} / 0x{legacy.Fdp:X16}");
for (int i = 0; i < 8; i++)
{
    X87Register st = legacy.St[i];
    bool valid = (legacy.AbridgedFtw & (1 << ((legacy.Top + i) & 7))) != 0;
    Row($"ST{i}", valid ? st.ToString() : $"empty ({st})");
}

Console.WriteLine();
Console.WriteLine("SSE");
Row("MXCSR", $"0x{(uint)legacy.Mxcsr:X8}  {MxcsrText(legacy.Mxcsr)}");
Row("MXCSR_MASK", $"0x{(uint)legacy.MxcsrMask:X8}");
XFeatures inUse = header.XStateBv;
string Marked(XFeatures feature) => inUse.HasFlag(feature) ? "" : "  (init state)";
Console.WriteLine($"  XMM/YMM{Marked(XFeatures.Avx)}");
for (int i = 0; i < 16; i++)
{
    Row($"YMM{i}", area.Ymm(i).ToString());
}

if (area.Layout is { } layout)
{
    if (layout.Slot(5) is not null && (!live || XSaveArea.EnabledFeatures.HasFlag(XFeatures.Avx512Opmask)))
    {
        Console.WriteLine();
        Console.WriteLine($"AVX-512{Marked(XFeatures.Avx512Opmask)}");
        for (int k = 0; k < 8; k++)
        {
            Row($"K{k}", $"0x{area.Opmask(k):X16}");
        }

        for (int i = 0; i < 32; i++)
        {
            Row($"ZMM{i}", area.Zmm(i).ToString());
        }
    }

    if (layout.Slot(9) is not null && (!live || XSaveArea.EnabledFeatures.HasFlag(XFeatures.Pkru)))
    {
        Row($"PKRU{Marked(XFeatures.Pkru)}", $"0x{area.Pkru:X8}");
    }
}

if (!live)
{
    return 0;
}

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

static void Row(string name, string value) => Console.WriteLine($"  {name,-32} {value}");

static string Features(XFeatures features) =>
    features == XFeatures.None ? "none" : $"0x{(ulong)features:X}  {Flags(features)}";

static string Flags<T>(T value)
    where T : struct, Enum
{
    ulong bits = Convert.ToUInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    string[] names = Enumerable.Range(0, 64)
        .Where(i => (bits & (1UL << i)) != 0)
        .Select(i => Enum.IsDefined(typeof(T), Enum.ToObject(typeof(T), 1UL << i)) ? Enum.GetName(typeof(T), Enum.ToObject(typeof(T), 1UL << i))! : $"bit{i}")
        .ToArray();
    return string.Join(" ", names);
}

static string ControlWord(X87ControlWord fcw)
{
    string[] precision = ["single (24-bit)", "reserved", "double (53-bit)", "extended (64-bit)"];
    return $"masks:{Flags(fcw & X87ControlWord.AllExceptionMasks)} precision={precision[((int)fcw >> 8) & 3]} rounding={Rounding((int)fcw >> 10)}";
}

static string MxcsrText(Mxcsr mxcsr)
{
    Mxcsr flags = mxcsr & (Mxcsr)0x3F;
    Mxcsr modes = mxcsr & (Mxcsr.DenormalsAreZeros | Mxcsr.FlushToZero);
    return $"flags:{(flags == 0 ? "none" : Flags(flags))} masks:{Flags(mxcsr & Mxcsr.AllExceptionMasks)} rounding={Rounding((int)mxcsr >> 13)}{(modes != 0 ? " " + Flags(modes) : "")}";
}

static string Rounding(int bits) => (bits & 3) switch
{
    0 => "nearest",
    1 => "down",
    2 => "up",
    _ => "toward zero",
};
