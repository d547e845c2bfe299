namespace XSave.Diagnostics;

/// <summary>What <see cref="MinidumpFile.Read(System.IO.Stream)"/> found in a minidump: the process's architecture, its XSTATE configuration and every thread's floating-point state.</summary>
public sealed class Minidump
{
    internal Minidump(ushort? processorArchitecture, IReadOnlyList<MinidumpThread> threads, XFeatures? xstateEnabled, XSaveLayout? xstateLayout)
    {
        ProcessorArchitecture = processorArchitecture;
        Threads = threads;
        XStateEnabledFeatures = xstateEnabled;
        XStateLayout = xstateLayout;
    }

    /// <summary>SystemInfoStream's ProcessorArchitecture (9 AMD64, 0 x86, 12 ARM64, …), or null when the dump has no system information.</summary>
    public ushort? ProcessorArchitecture { get; }

    /// <summary>The architecture by name: "x64", "x86", or what SystemInfoStream says; "unknown" without it.</summary>
    public string ArchitectureName => ArchitectureNameOf(ProcessorArchitecture);

    /// <summary>
    /// Every thread, in the thread list's order, each with its context from the list; the faulting
    /// thread appears once more with the exception stream's context (<see cref="MinidumpContextSource.Exception"/>).
    /// </summary>
    public IReadOnlyList<MinidumpThread> Threads { get; }

    /// <summary>MINIDUMP_MISC_INFO_5's XStateData.EnabledFeatures: the components Windows keeps in contexts; null when the dump does not record it.</summary>
    public XFeatures? XStateEnabledFeatures { get; }

    /// <summary>The standard-format offsets XStateData records for each enabled component, as a layout; null when the dump does not record them.</summary>
    public XSaveLayout? XStateLayout { get; }

    internal static string ArchitectureNameOf(ushort? architecture) => architecture switch
    {
        null => "unknown",
        MinidumpFile.ArchitectureAmd64 => "x64",
        MinidumpFile.ArchitectureX86 => "x86",
        5 => "ARM",
        6 => "IA-64",
        12 => "ARM64",
        0x8003 => "PowerPC",
        0x8005 => "SPARC",
        0x8006 => "PowerPC 64",
        0x8008 => "MIPS",
        0x8009 => "RISC-V 64",
        _ => $"processor architecture {architecture}",
    };
}
