namespace XSave.Diagnostics;

/// <summary>Which record of a minidump a thread's context came from.</summary>
public enum MinidumpContextSource
{
    /// <summary>The thread list (ThreadListStream or ThreadExListStream): where the thread stood when the dump was written; for the faulting thread, inside the exception dispatcher.</summary>
    ThreadList,

    /// <summary>The exception stream: the faulting thread's state at the fault itself.</summary>
    Exception,
}

/// <summary>How the legacy region of a minidump context was laid out by the process that ran.</summary>
public enum LegacyRegionFormat
{
    /// <summary>FXSAVE64 (an x64 process's FltSave): FIP and FDP are 64-bit.</summary>
    FxSave64,

    /// <summary>
    /// FXSAVE in 32-bit form (an x86 process's ExtendedRegisters, WOW64 included): FIP and FDP are
    /// 32-bit offsets with the FCS and FDS selectors beside them, and only XMM0–7 exist. The
    /// library moves the offsets to where the 64-bit view reads them (<see cref="LegacyRegion.Fip"/>,
    /// <see cref="LegacyRegion.Fdp"/>) and keeps the selectors in <see cref="MinidumpThread.Selectors"/>.
    /// </summary>
    FxSave32,
}

/// <summary>One thread's floating-point state in a minidump.</summary>
/// <param name="ThreadId">The Windows thread id.</param>
/// <param name="Source">Which record the context came from.</param>
/// <param name="State">The legacy region and, where the producer recorded XSTATE, every extended component; null when the context carries no floating-point state.</param>
public sealed record MinidumpThread(uint ThreadId, MinidumpContextSource Source, XSaveImage? State)
{
    /// <summary>The thread's name from the ThreadNamesStream, or null.</summary>
    public string? Name { get; init; }

    /// <summary>The CONTEXT's ContextFlags as the producer wrote them.</summary>
    public uint ContextFlags { get; init; }

    /// <summary>The CONTEXT's size in bytes, CONTEXT_EX and XSTATE included.</summary>
    public uint ContextSize { get; init; }

    /// <summary>The layout of the legacy region as the process stored it.</summary>
    public LegacyRegionFormat LegacyFormat { get; init; }

    /// <summary>For <see cref="LegacyRegionFormat.FxSave32"/>: the x87 FPU instruction and data selectors (FCS, FDS).</summary>
    public (ushort Fcs, ushort Fds)? Selectors { get; init; }

    /// <summary>
    /// The x64 CONTEXT's own MxCsr field (at 0x34), which producers fill separately from FltSave's:
    /// Breakpad on Linux leaves it 0. <see cref="State"/> shows FltSave's, the value FXSAVE stored.
    /// Null for x86 contexts, which have no such field.
    /// </summary>
    public uint? ContextMxcsr { get; init; }

    /// <summary>For <see cref="MinidumpContextSource.Exception"/>: the exception code (0xC0000005 an access violation, …).</summary>
    public uint? ExceptionCode { get; init; }

    /// <summary>True when the producer recorded XSTATE (CONTEXT_XSTATE and a CONTEXT_EX): the extended components are known.</summary>
    public bool HasXState { get; init; }

    /// <summary>True when the flags say CONTEXT_XSTATE but the producer stored the CONTEXT alone, without the CONTEXT_EX and XSTATE that must follow it: only the legacy region is known.</summary>
    public bool XStateClaimedButAbsent { get; init; }

    /// <summary>Why <see cref="State"/> is null, in words, or null when it is not.</summary>
    public string? NoStateReason { get; init; }
}
