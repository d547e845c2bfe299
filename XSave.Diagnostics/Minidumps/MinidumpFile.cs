namespace XSave.Diagnostics;

/// <summary>
/// Reads every thread's floating-point state from a Windows minidump (.dmp) of an x64 or x86
/// process, whoever wrote it: Windows' MiniDumpWriteDump (procdump, WER, Task Manager, .NET's
/// createdump), Crashpad, Breakpad, lldb. Each thread's CONTEXT is found through its location
/// descriptor; FltSave (x64) or ExtendedRegisters (x86, 32-bit FXSAVE layout) is the legacy
/// region; with CONTEXT_XSTATE the CONTEXT_EX after the context locates the XSAVE header and the
/// extended components (compacted or standard). MINIDUMP_MISC_INFO_5's XStateData is the
/// layout of a standard-format XSTATE chunk, and is checked against a compacted one. Only the
/// directory, the streams named here and the contexts are read: a full-memory dump's memory is
/// sought over (a forward-only stream reads it once and discards it). Plain C#, any host.
/// Formats: Microsoft's minidumpapiset.h and winnt.h; docs/dumps.md.
/// </summary>
public static class MinidumpFile
{
    internal const ushort ArchitectureX86 = 0, ArchitectureAmd64 = 9;

    private const uint ThreadListStream = 3, ExceptionStream = 6, SystemInfoStream = 7, ThreadExListStream = 8, MiscInfoStream = 15, ThreadNamesStream = 24;
    private const int HeaderSize = 32, DirectoryEntrySize = 12, ThreadSize = 48, ThreadExSize = 64, ThreadNameSize = 12;
    private const int ExceptionContextOffset = 160, ExceptionStreamSize = 168;
    private const int MiscInfo5Size = 1364, MiscXStateOffset = 832, MiscXStateFeatures = 848;

    /// <summary>The most threads a dump may list: bounds the memory a hostile dump can ask for.</summary>
    public const int MaxThreads = 100_000;

    private const int MaxStreams = 65_536, MaxContextSize = 1 << 20, MaxNameBytes = 2048;

    /// <summary>Whether <paramref name="start"/> (a file's first bytes) is a minidump's signature.</summary>
    /// <param name="start">At least the first four bytes.</param>
    public static bool IsMinidump(ReadOnlySpan<byte> start) => start.StartsWith(FileSignature.Minidump);

    /// <summary>Every thread's state from a minidump on disk.</summary>
    /// <param name="path">The .dmp file.</param>
    /// <exception cref="InvalidXSaveImageException">Not a minidump, a malformed one, one of another architecture, or one whose threads hold no floating-point state.</exception>
    /// <exception cref="IOException">The path is a directory, or the file cannot be read.</exception>
    public static Minidump Read(string path)
    {
        if (Directory.Exists(path))
        {
            throw new IOException($"'{path}' is a directory, not a minidump.");
        }

        using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        return Read(stream);
    }

    /// <summary>Every thread's state from a minidump held in memory.</summary>
    /// <param name="dump">The whole file.</param>
    /// <exception cref="InvalidXSaveImageException">Not a minidump, a malformed one, one of another architecture, or one whose threads hold no floating-point state.</exception>
    public static Minidump Read(ReadOnlySpan<byte> dump)
    {
        using var stream = new MemoryStream(dump.ToArray(), writable: false);
        return Read(stream);
    }

    /// <summary>
    /// Every thread's state from any readable stream positioned at the dump's first byte. A
    /// seekable one seeks to each part; a forward-only one (a pipe, a decompressing stream) reads
    /// them in file order and refuses a part that lies before one already read.
    /// </summary>
    /// <param name="dump">The minidump.</param>
    /// <exception cref="InvalidXSaveImageException">Not a minidump, a malformed one, one of another architecture, or one whose threads hold no floating-point state.</exception>
    public static Minidump Read(Stream dump)
    {
        var reader = new CoreStreamReader(dump);
        byte[] header = reader.Read(0, HeaderSize, "minidump header", allowShort: true);
        if (!IsMinidump(header))
        {
            throw Invalid("signature", "Not a minidump: it does not start with \"MDMP\".");
        }

        if (header.Length < HeaderSize)
        {
            throw Invalid("minidump header", $"The minidump ends after {header.Length} bytes, inside its 32-byte header.");
        }

        uint streamCount = U32(header, 8), directoryRva = U32(header, 12);
        if (streamCount > MaxStreams)
        {
            throw Invalid("NumberOfStreams", $"The header lists {streamCount} streams; no writer makes more than {MaxStreams}.");
        }

        byte[] directory = reader.Read(directoryRva, streamCount * (ulong)DirectoryEntrySize, "stream directory");
        var locations = new Dictionary<uint, (uint Size, uint Rva)>();
        for (int i = 0; i < (int)streamCount; i++)
        {
            locations.TryAdd(U32(directory, i * DirectoryEntrySize), (U32(directory, (i * DirectoryEntrySize) + 4), U32(directory, (i * DirectoryEntrySize) + 8)));
        }

        var streams = new Dictionary<uint, byte[]>();
        foreach (var entry in locations.Where(l => l.Key is ThreadListStream or ThreadExListStream or ExceptionStream or SystemInfoStream or MiscInfoStream or ThreadNamesStream).OrderBy(l => l.Value.Rva))
        {
            (uint type, uint size, uint rva) = (entry.Key, entry.Value.Size, entry.Value.Rva);
            if (size > 8 + ((ulong)MaxThreads * ThreadExSize))
            {
                throw Invalid(StreamName(type), $"The {StreamName(type)} claims {size} bytes, more than {MaxThreads} threads need.");
            }

            streams[type] = reader.Read(rva, size, StreamName(type));
        }

        ushort? architecture = streams.TryGetValue(SystemInfoStream, out byte[]? system) && system.Length >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(system) : null;
        if (architecture is { } arch && arch is not (ArchitectureAmd64 or ArchitectureX86))
        {
            throw Invalid("ProcessorArchitecture", $"The minidump is of an {Minidump.ArchitectureNameOf(arch)} process: it holds no x86 floating-point state.");
        }

        var (enabled, miscLayout, miscSizes) = XStateConfiguration(streams.GetValueOrDefault(MiscInfoStream, []));
        List<(uint Id, uint Size, uint Rva)> listed = ThreadList(streams);
        (uint Id, uint Code, uint Size, uint Rva)? exception = null;
        if (streams.TryGetValue(ExceptionStream, out byte[]? exceptionStream))
        {
            if (exceptionStream.Length < ExceptionStreamSize)
            {
                throw Invalid("ExceptionStream", $"The exception stream has {exceptionStream.Length} bytes; MINIDUMP_EXCEPTION_STREAM has {ExceptionStreamSize}.");
            }

            exception = (U32(exceptionStream, 0), U32(exceptionStream, 8), U32(exceptionStream, ExceptionContextOffset), U32(exceptionStream, ExceptionContextOffset + 4));
        }

        // Contexts and names in file order, so that a forward-only stream reads each once.
        var nameRvas = streams.TryGetValue(ThreadNamesStream, out byte[]? names) ? ThreadNames(names) : [];
        var parts = new List<(ulong Rva, Part Kind, int Index)>();
        parts.AddRange(listed.Select((thread, i) => ((ulong)thread.Rva, Part.Context, i)));
        if (exception is { } fault)
        {
            parts.Add((fault.Rva, Part.ExceptionContext, 0));
        }

        parts.AddRange(nameRvas.Select((name, i) => (name.Rva, Part.Name, i)));
        var contexts = new byte[listed.Count][];
        byte[]? exceptionContext = null;
        var threadNames = new Dictionary<uint, string>();
        var read = new Dictionary<(uint Rva, uint Size), byte[]>(); // a context two records share is read once
        byte[] Context(uint rva, uint size, string what) => read.TryGetValue((rva, size), out byte[]? bytes) ? bytes : read[(rva, size)] = ReadContext(reader, rva, size, what);
        foreach (var (rva, kind, index) in parts.OrderBy(p => p.Rva))
        {
            switch (kind)
            {
                case Part.Context:
                    contexts[index] = Context(listed[index].Rva, listed[index].Size, $"context of thread {listed[index].Id}");
                    break;
                case Part.ExceptionContext:
                    exceptionContext = Context(exception!.Value.Rva, exception.Value.Size, $"exception context of thread {exception.Value.Id}");
                    break;
                default:
                    threadNames.TryAdd(nameRvas[index].Id, ReadName(reader, rva, $"name of thread {nameRvas[index].Id}"));
                    break;
            }
        }

        var threads = new List<MinidumpThread>(listed.Count + 1);
        for (int i = 0; i < listed.Count; i++)
        {
            threads.Add(Thread(listed[i].Id, MinidumpContextSource.ThreadList, contexts[i], architecture, miscLayout, miscSizes) with { Name = threadNames.GetValueOrDefault(listed[i].Id) });
        }

        if (exception is { } faulted)
        {
            threads.Add(Thread(faulted.Id, MinidumpContextSource.Exception, exceptionContext!, architecture, miscLayout, miscSizes) with { Name = threadNames.GetValueOrDefault(faulted.Id), ExceptionCode = faulted.Code });
        }

        if (threads.All(t => t.State is null))
        {
            string what = threads.Count == 0
                ? $"it lists no threads (streams: {string.Join(", ", locations.Keys.Select(StreamName))})"
                : $"the contexts of its {threads.Select(t => t.ThreadId).Distinct().Count()} thread(s) carry no floating-point state (ContextFlags {string.Join(", ", threads.Select(t => $"0x{t.ContextFlags:X}").Distinct())}: the producer recorded general registers only)";
            throw Invalid("contexts", $"The minidump holds no thread's floating-point state: {what}.");
        }

        return new Minidump(architecture, threads, enabled, miscLayout);
    }

    private enum Part { Context, ExceptionContext, Name }

    private static byte[] ReadContext(CoreStreamReader reader, uint rva, uint size, string what) => size <= MaxContextSize
        ? reader.Read(rva, size, what)
        : throw Invalid("context", $"The {what} claims {size} bytes; a CONTEXT with every XSTATE component is a few kilobytes.");

    private static List<(uint Id, uint Size, uint Rva)> ThreadList(Dictionary<uint, byte[]> streams)
    {
        // ThreadExListStream holds the same threads with a backing store; either may be present.
        bool extended = streams.ContainsKey(ThreadExListStream);
        if (!extended && !streams.ContainsKey(ThreadListStream))
        {
            return [];
        }

        byte[] list = streams[extended ? ThreadExListStream : ThreadListStream];
        int entrySize = extended ? ThreadExSize : ThreadSize;
        string name = StreamName(extended ? ThreadExListStream : ThreadListStream);
        if (list.Length < 4)
        {
            throw Invalid(name, $"The {name} has {list.Length} bytes, too few for its thread count.");
        }

        uint count = U32(list, 0);
        if (count > MaxThreads)
        {
            throw Invalid(name, $"The {name} lists {count} threads; more than {MaxThreads} are refused.");
        }

        // Some writers pad the count to 8 bytes (as Breakpad's reader allows).
        int first = list.Length == 4 + ((long)count * entrySize) ? 4
            : list.Length == 8 + ((long)count * entrySize) ? 8
            : throw Invalid(name, $"The {name} has {list.Length} bytes, which is not {count} entries of {entrySize} bytes after the count.");
        var threads = new List<(uint, uint, uint)>((int)count);
        for (int i = 0; i < (int)count; i++)
        {
            int entry = first + (i * entrySize);
            threads.Add((U32(list, entry), U32(list, entry + 40), U32(list, entry + 44)));
        }

        return threads;
    }

    private static List<(uint Id, ulong Rva)> ThreadNames(byte[] stream)
    {
        if (stream.Length < 4)
        {
            throw Invalid("ThreadNamesStream", $"The thread names stream has {stream.Length} bytes, too few for its count.");
        }

        uint count = U32(stream, 0);
        if (4 + ((ulong)count * ThreadNameSize) > (ulong)stream.Length)
        {
            throw Invalid("ThreadNamesStream", $"The thread names stream lists {count} names in {stream.Length} bytes.");
        }

        var names = new List<(uint, ulong)>((int)count);
        for (int i = 0; i < (int)count; i++)
        {
            names.Add((U32(stream, 4 + (i * ThreadNameSize)), BinaryPrimitives.ReadUInt64LittleEndian(stream.AsSpan(8 + (i * ThreadNameSize)))));
        }

        return names;
    }

    // MINIDUMP_STRING: a byte length, then UTF-16.
    private static string ReadName(CoreStreamReader reader, ulong rva, string what)
    {
        uint length = U32(reader.Read(rva, 4, what), 0);
        if (length > MaxNameBytes || length % 2 != 0)
        {
            throw Invalid("thread name", $"The {what} claims {length} bytes; a thread name is an even number of bytes, at most {MaxNameBytes}.");
        }

        return System.Text.Encoding.Unicode.GetString(reader.Read(rva + 4, length, what));
    }

    // MINIDUMP_MISC_INFO_5.XStateData: EnabledFeatures and each feature's standard offset and size.
    // A supervisor component (CET_U) has no standard-format offset: XStateData gives its size alone.
    private static (XFeatures? Enabled, XSaveLayout? Layout, int[] Sizes) XStateConfiguration(byte[] misc)
    {
        var sizes = new int[StateComponent.Count];
        if (misc.Length < MiscInfo5Size || U32(misc, 0) < MiscInfo5Size || U32(misc, MiscXStateOffset) == 0)
        {
            return (null, null, sizes);
        }

        ulong enabled = BinaryPrimitives.ReadUInt64LittleEndian(misc.AsSpan(MiscXStateOffset + 8));
        if (enabled == 0)
        {
            return (null, null, sizes); // some writers leave the whole structure zero
        }

        var slots = new ComponentSlot[StateComponent.Count];
        for (int i = 2; i < StateComponent.Count; i++)
        {
            uint offset = U32(misc, MiscXStateFeatures + (i * 8)), size = U32(misc, MiscXStateFeatures + (i * 8) + 4);
            if ((enabled & (1UL << i)) == 0 || size == 0)
            {
                continue;
            }

            sizes[i] = (int)Math.Min(size, int.MaxValue);
            if (StateComponent.At(i)!.IsSupervisor)
            {
                continue;
            }

            if (offset < XSaveArea.HeaderOffset + XSaveHeader.Size || offset + (ulong)size > int.MaxValue)
            {
                throw Invalid("XStateData", $"MINIDUMP_MISC_INFO_5's XStateData puts component {i} at offset {offset} with size {size}: not a slot past the XSAVE header.");
            }

            slots[i] = new ComponentSlot((int)offset, (int)size);
        }

        return ((XFeatures)enabled, XSaveLayout.FromSlots("the minidump's XStateData (MINIDUMP_MISC_INFO_5)", slots), sizes);
    }

    private static MinidumpThread Thread(uint id, MinidumpContextSource source, byte[] context, ushort? architecture, XSaveLayout? miscLayout, int[] miscSizes)
    {
        string what = source == MinidumpContextSource.Exception ? $"the exception context of thread {id}" : $"the context of thread {id}";
        if (context.Length == 0)
        {
            // .NET's createdump.exe (under Wine) writes one for a thread whose context it could
            // not get, one that was starting or ending: the other threads are still the dump's.
            return new MinidumpThread(id, source, null)
            {
                LegacyFormat = architecture == ArchitectureX86 ? LegacyRegionFormat.FxSave32 : LegacyRegionFormat.FxSave64,
                NoStateReason = "the producer recorded no context for this thread (its location descriptor's DataSize is 0)",
            };
        }

        bool amd64 = context.Length > WindowsContext.Amd64FlagsOffset + 4 && (U32(context, WindowsContext.Amd64FlagsOffset) & WindowsContext.Amd64) != 0 && architecture != ArchitectureX86;
        bool i386 = !amd64 && context.Length >= 4 && (U32(context, 0) & WindowsContext.I386) != 0 && (U32(context, 0) & WindowsContext.Amd64) == 0 && architecture != ArchitectureAmd64;
        if (!amd64 && !i386)
        {
            throw Invalid("ContextFlags", $"{Capital(what)} ({context.Length} bytes) is neither an x64 CONTEXT (flags with 0x100000 at 0x30) nor an x86 one (flags with 0x10000 at 0){(architecture is null ? string.Empty : $" of the {Minidump.ArchitectureNameOf(architecture)} process the dump describes")}.");
        }

        uint flags = U32(context, amd64 ? WindowsContext.Amd64FlagsOffset : 0);
        var thread = new MinidumpThread(id, source, null) { ContextFlags = flags, ContextSize = (uint)context.Length, LegacyFormat = amd64 ? LegacyRegionFormat.FxSave64 : LegacyRegionFormat.FxSave32 };
        int legacyOffset = amd64 ? WindowsContext.Amd64FltSaveOffset : WindowsContext.X86ExtendedRegistersOffset;
        uint needed = amd64 ? WindowsContext.FloatingPoint : WindowsContext.ExtendedRegisters;
        if ((flags & needed) == 0)
        {
            string recorded = amd64 ? "no floating-point state (no CONTEXT_FLOATING_POINT)"
                : (flags & WindowsContext.FloatingPoint) != 0 ? "only the x87 FNSAVE area (CONTEXT_FLOATING_POINT without CONTEXT_EXTENDED_REGISTERS): no MXCSR or XMM, not read"
                : "no floating-point state (no CONTEXT_EXTENDED_REGISTERS)";
            return thread with { NoStateReason = $"the producer recorded {recorded}; ContextFlags 0x{flags:X}", ContextMxcsr = amd64 && context.Length >= WindowsContext.Amd64MxcsrOffset + 4 ? U32(context, WindowsContext.Amd64MxcsrOffset) : null };
        }

        if (context.Length < legacyOffset + LegacyRegion.Size)
        {
            throw Invalid("context", $"{Capital(what)} has {context.Length} bytes, but its flags (0x{flags:X}) say it holds {(amd64 ? "FltSave" : "ExtendedRegisters")}, which ends at {legacyOffset + LegacyRegion.Size}.");
        }

        byte[] legacy = context.AsSpan(legacyOffset, LegacyRegion.Size).ToArray();
        (ushort, ushort)? selectors = amd64 ? null : WidenFxSave32(legacy);
        byte[] image = legacy;
        // A producer that copies a CONTEXT whose flags say XSTATE without its CONTEXT_EX (Wine's
        // dbghelp) stores the legacy region alone: nothing beyond it is in the dump.
        int contextSize = amd64 ? WindowsContext.Amd64Size : WindowsContext.X86Size;
        bool claimsXState = (flags & WindowsContext.XState) != 0;
        bool hasXState = claimsXState && context.Length > contextSize;
        if (hasXState)
        {
            image = [.. legacy, .. XStateChunk(context, contextSize, what)];
        }

        XSaveImage state;
        bool standard = image.Length > LegacyRegion.Size && (BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(XSaveArea.HeaderOffset + 8)) & XSaveHeader.CompactedFormat) == 0;
        try
        {
            state = standard && miscLayout is not null
                ? XSaveImage.ParseWithSource(image, miscLayout, LayoutSource.MinidumpXStateData)
                : XSaveImage.Parse(image);
        }
        catch (InvalidXSaveImageException e)
        {
            throw Invalid(e.Field, $"In {what}: {e.Message}");
        }

        if (!standard && hasXState)
        {
            CheckSizes(state.Layout, miscSizes, what);
        }

        return thread with
        {
            State = state,
            HasXState = hasXState,
            XStateClaimedButAbsent = claimsXState && !hasXState,
            Selectors = selectors,
            ContextMxcsr = amd64 ? U32(context, WindowsContext.Amd64MxcsrOffset) : null,
        };
    }

    // The XSTATE chunk CONTEXT_EX locates, from the XSAVE header on (the legacy region is FltSave).
    private static byte[] XStateChunk(byte[] context, int contextSize, string what)
    {
        if (context.Length < contextSize + WindowsContext.ContextExSize)
        {
            throw Invalid("CONTEXT_EX", $"{Capital(what)} has {context.Length} bytes: its flags say XSTATE, but there is no room for the CONTEXT_EX that must follow the {contextSize}-byte CONTEXT.");
        }

        int offset = BinaryPrimitives.ReadInt32LittleEndian(context.AsSpan(contextSize + 16));
        uint length = U32(context, contextSize + 20);
        long start = (long)contextSize + offset;
        if (start < contextSize + WindowsContext.ContextExSize || length < XSaveHeader.Size || start + length > context.Length)
        {
            throw Invalid("CONTEXT_EX", $"{Capital(what)}: CONTEXT_EX puts the XSTATE chunk at {offset} from itself ({length} bytes), which is not inside the {context.Length}-byte context after CONTEXT_EX.");
        }

        return context.AsSpan((int)start, (int)length).ToArray();
    }

    // A compacted chunk lays out each component at its architectural size; XStateData's sizes must agree.
    private static void CheckSizes(XSaveLayout compacted, int[] recorded, string what)
    {
        for (int i = 2; i < StateComponent.Count; i++)
        {
            if (compacted.Slot(i) is { } slot && recorded[i] != 0 && slot.Size != recorded[i])
            {
                throw Invalid("XStateData", $"In {what}: XCOMP_BV lays out component {i} with {slot.Size} bytes, but the dump's XStateData says {recorded[i]}.");
            }
        }
    }

    // 32-bit FXSAVE: FIP (u32) at 8 with FCS (u16) at 12, FDP (u32) at 16 with FDS (u16) at 20, and
    // no XMM8–15. Rewritten where the 64-bit view reads FIP and FDP, the selectors returned.
    private static (ushort Fcs, ushort Fds) WidenFxSave32(byte[] legacy)
    {
        uint fip = U32(legacy, 8), fdp = U32(legacy, 16);
        ushort fcs = BinaryPrimitives.ReadUInt16LittleEndian(legacy.AsSpan(12)), fds = BinaryPrimitives.ReadUInt16LittleEndian(legacy.AsSpan(20));
        BinaryPrimitives.WriteUInt64LittleEndian(legacy.AsSpan(8), fip);
        BinaryPrimitives.WriteUInt64LittleEndian(legacy.AsSpan(16), fdp);
        legacy.AsSpan(160 + (8 * 16), 8 * 16).Clear();
        return (fcs, fds);
    }

    private static string StreamName(uint type) => type switch
    {
        ThreadListStream => "ThreadListStream",
        ExceptionStream => "ExceptionStream",
        SystemInfoStream => "SystemInfoStream",
        ThreadExListStream => "ThreadExListStream",
        MiscInfoStream => "MiscInfoStream",
        ThreadNamesStream => "ThreadNamesStream",
        4 => "ModuleListStream",
        5 => "MemoryListStream",
        9 => "Memory64ListStream",
        16 => "MemoryInfoListStream",
        _ => $"stream type 0x{type:X}",
    };

    private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    private static uint U32(byte[] bytes, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));

    private static InvalidXSaveImageException Invalid(string field, string message) => new(field, message);
}
