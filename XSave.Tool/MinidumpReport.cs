using System.Collections.Generic;
using System.Linq;

namespace XSave.Tool;

/// <summary>A minidump thread as a <see cref="Report"/>: which context it is, and what its producer stored or left out.</summary>
internal static class MinidumpReport
{
    public static Report Of(string path, Minidump dump, MinidumpThread thread)
    {
        bool faulted = dump.Threads.Any(t => t.Source == MinidumpContextSource.Exception && t.ThreadId == thread.ThreadId);
        string context = thread.Source == MinidumpContextSource.Exception
            ? $"the exception stream: the state at the fault (exception 0x{thread.ExceptionCode:X8})"
            : faulted ? "the thread list: inside the exception dispatcher, after the fault (the exception stream holds the state at the fault)"
            : "the thread list: where the thread stood when the dump was written";
        var notes = new List<ReportItem>
        {
            new("context flags", $"0x{thread.ContextFlags:X} ({thread.ContextSize} bytes{(thread.HasXState ? ", with XSTATE" : string.Empty)})", "contextFlags", $"0x{thread.ContextFlags:X}"),
            new("context source", string.Empty, "contextSource", thread.Source == MinidumpContextSource.Exception ? "exception" : "threadList", Text: false),
        };
        if (thread.Selectors is var (fcs, fds) && thread.State is { } legacyState)
        {
            LegacyRegion legacy = legacyState.Area.Legacy;
            notes.Add(new("legacy layout", $"32-bit FXSAVE (ExtendedRegisters): FIP 0x{fcs:X4}:0x{legacy.Fip:X8}, FDP 0x{fds:X4}:0x{legacy.Fdp:X8}; XMM0-7 only",
                "legacyFormat", nameof(LegacyRegionFormat.FxSave32)));
        }

        if (thread.ContextMxcsr is { } contextMxcsr && thread.State is { } state && contextMxcsr != (uint)state.Area.Legacy.Mxcsr)
        {
            notes.Add(new("CONTEXT.MxCsr", $"0x{contextMxcsr:X8}, unlike FltSave's: the MXCSR below is FltSave's, the value FXSAVE stored (some producers, Breakpad on Linux, leave the CONTEXT field 0)",
                "contextMxcsr", $"0x{contextMxcsr:X}"));
        }

        if (thread.XStateClaimedButAbsent)
        {
            notes.Add(new("XSTATE", "the flags say CONTEXT_XSTATE, but the producer stored the CONTEXT alone (no CONTEXT_EX): only the legacy region is in the dump", "xstateAbsent", true));
        }

        var facts = new ThreadFacts(thread.ThreadId, null)
        {
            Name = thread.Name,
            Context = context,
            Notes = notes,
            VectorRegisters = thread.LegacyFormat == LegacyRegionFormat.FxSave32 ? 8 : 16,
        };
        string source = $"{path}, thread {thread.ThreadId}{(thread.Source == MinidumpContextSource.Exception ? " at the exception" : string.Empty)}";
        return thread.State is { } image
            ? Report.Of(image.Area, source, thread.HasXState ? dump.XStateEnabledFeatures : null, image, facts)
            : Report.NoState(source, facts, thread.NoStateReason ?? "no floating-point state");
    }
}
