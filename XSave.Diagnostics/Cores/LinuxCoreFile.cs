namespace XSave.Diagnostics;

/// <summary>
/// Reads the extended state of every thread from a Linux x86-64 ELF core file: each thread's
/// <c>NT_PRSTATUS</c> note (its id and signal) is followed by its <c>NT_X86_XSTATE</c> note (its
/// XSAVE image) and its <c>NT_PRFPREG</c> (the 512-byte FXSAVE legacy region). A thread with only
/// the latter, as .NET's createdump writes them, is read as legacy-only
/// (<see cref="ThreadState.IsLegacyOnly"/>). Linux 6.x also writes one <c>NT_X86_XSAVE_LAYOUT</c>
/// note, the kernel's own statement of where each component lies; when present it locates every
/// thread's components, else the layout is inferred from XCR0 and the image's size
/// (<see cref="XSaveImage.Parse"/>). Plain C#: cores from x86 machines can be read on any host,
/// from files, memory or any readable stream (a pipe, a decompressing stream).
/// </summary>
public static class LinuxCoreFile
{
    private const uint NtPrStatus = 1, NtPrFpReg = 2, NtX86XState = 0x202, NtX86XSaveLayout = 0x205; // include/uapi/linux/elf.h
    private const int LayoutEntrySize = 16;                  // struct x86_xfeat_component: type, size, offset, flags (u32 each)
    private const int PrStatusSignalOffset = 12;             // struct elf_prstatus: pr_cursig (short) after struct elf_siginfo (three ints)
    private const int PrStatusPidOffset = 32;                // pr_pid after siginfo, cursig, sigpend, sighold

    /// <summary>One thread's state in a core file.</summary>
    /// <param name="ThreadId">The thread's id (pr_pid of its NT_PRSTATUS), or 0 if no status preceded it.</param>
    /// <param name="State">Its NT_X86_XSTATE image, or for a legacy-only thread its NT_PRFPREG (format <see cref="XSaveImageFormat.FxSave"/>).</param>
    public sealed record ThreadState(int ThreadId, XSaveImage State)
    {
        /// <summary>The signal that stopped the thread (pr_cursig of its NT_PRSTATUS), or 0 when the producer recorded none.</summary>
        public int Signal { get; init; }

        /// <summary>
        /// True when the core holds only the thread's NT_PRFPREG: x87, MXCSR and XMM0–15. The
        /// producer recorded no AVX or later state, so YMM upper halves, AVX-512 and PKRU are
        /// unknown (not zero).
        /// </summary>
        public bool IsLegacyOnly => State.Format == XSaveImageFormat.FxSave;

        /// <summary>The thread's NT_PRFPREG description when the core has one beside NT_X86_XSTATE (for comparing the two).</summary>
        internal byte[]? LegacyNote { get; init; }
    }

    /// <summary>Every thread's state, in the order the core lists them.</summary>
    /// <param name="core">The whole core file.</param>
    /// <exception cref="InvalidXSaveImageException">Not a 64-bit little-endian ELF core (a compressed one is named), a malformed note, a malformed image, or no thread state at all.</exception>
    public static IReadOnlyList<ThreadState> ReadThreads(ReadOnlySpan<byte> core)
    {
        var (phoff, phentsize, phnum) = ElfHeader(core[..Math.Min(core.Length, ElfHeaderSize)]);
        var segments = new List<byte[]>();
        for (int i = 0; i < phnum; i++)
        {
            ReadOnlySpan<byte> header = Slice(core, phoff + ((ulong)i * (ulong)phentsize), ProgramHeaderSize, "program header");
            if (NoteSegment(header) is { } note)
            {
                segments.Add(Slice(core, note.Offset, note.Length, "PT_NOTE segment").ToArray());
            }
        }

        return FromNoteSegments(segments);
    }

    /// <summary>
    /// Every thread's state from a core file on disk, reading only the ELF and program
    /// headers and the PT_NOTE segments: memory bounded by the notes, time independent of the
    /// core's size (cores of server processes run to tens of gigabytes).
    /// </summary>
    /// <param name="path">The core file.</param>
    /// <exception cref="InvalidXSaveImageException">Not a 64-bit little-endian ELF core (a compressed one is named), a malformed note, a malformed image, or no thread state at all.</exception>
    /// <exception cref="IOException">The path is a directory, or the file cannot be read.</exception>
    public static IReadOnlyList<ThreadState> ReadThreads(string path)
    {
        if (Directory.Exists(path))
        {
            throw new IOException($"'{path}' is a directory, not a core file."); // FileStream would say "access denied"
        }

        using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        return ReadThreads(stream);
    }

    /// <summary>
    /// As <see cref="ReadThreads(string)"/>, from any readable stream: a file, a pipe, standard
    /// input, a decompressing stream. It reads forward from where the stream stands (the start of
    /// the core), through the program headers to the last PT_NOTE segment, keeping only the notes,
    /// and stops there; a seekable stream skips the bytes between by seeking.
    /// </summary>
    /// <param name="core">The core, positioned at its first byte.</param>
    /// <exception cref="InvalidXSaveImageException">Not a 64-bit little-endian ELF core (a compressed one is named), a malformed note, a malformed image, or no thread state at all.</exception>
    public static IReadOnlyList<ThreadState> ReadThreads(Stream core)
    {
        var reader = new CoreStreamReader(core);
        var (phoff, phentsize, phnum) = ElfHeader(reader.Read(0, ElfHeaderSize, "ELF header", allowShort: true));
        var notes = new List<(ulong Offset, ulong Length)>();
        for (int i = 0; i < phnum; i++)
        {
            byte[] header = reader.Read(phoff + ((ulong)i * (ulong)phentsize), ProgramHeaderSize, "program header");
            if (NoteSegment(header) is { } note)
            {
                notes.Add(note);
            }
        }

        notes.Sort(); // in file order, so that a stream need not go back
        var segments = new List<byte[]>(notes.Count);
        foreach (var (offset, length) in notes)
        {
            segments.Add(reader.Read(offset, length, "PT_NOTE segment"));
        }

        return FromNoteSegments(segments);
    }

    private const int ElfHeaderSize = 64, ProgramHeaderSize = 56;

    private static (ulong Phoff, int Phentsize, int Phnum) ElfHeader(ReadOnlySpan<byte> header)
    {
        if (CoreCompressionFormat.Detect(header) is var compression and not CoreCompression.None)
        {
            throw new InvalidXSaveImageException("ELF header", $"The data is {compression}-compressed, not an ELF core: decompress it ({CoreCompressionFormat.DecompressCommand(compression)}), or pass a decompressing stream.");
        }

        if (header.Length < ElfHeaderSize || !header[..4].SequenceEqual("\u007FELF"u8) || header[4] != 2 || header[5] != 1)
        {
            throw new InvalidXSaveImageException("ELF header", "Not a 64-bit little-endian ELF file.");
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(header[16..]) != 4)
        {
            throw new InvalidXSaveImageException("e_type", "The ELF file is not a core file (e_type is not ET_CORE).");
        }

        return (BinaryPrimitives.ReadUInt64LittleEndian(header[32..]), BinaryPrimitives.ReadUInt16LittleEndian(header[54..]), BinaryPrimitives.ReadUInt16LittleEndian(header[56..]));
    }

    private static (ulong Offset, ulong Length)? NoteSegment(ReadOnlySpan<byte> programHeader) =>
        BinaryPrimitives.ReadUInt32LittleEndian(programHeader) == 4 // PT_NOTE
            ? (BinaryPrimitives.ReadUInt64LittleEndian(programHeader[8..]), BinaryPrimitives.ReadUInt64LittleEndian(programHeader[32..]))
            : null;

    // The layout note follows the threads' notes: the images are parsed once every note is read.
    private static List<ThreadState> FromNoteSegments(List<byte[]> segments)
    {
        var notes = new CoreNotes();
        for (int i = 0; i < segments.Count; i++)
        {
            ReadNotes(segments[i], i, notes);
        }

        var threads = new List<ThreadState>(notes.Threads.Count);
        foreach (CoreNotes.Thread thread in notes.Threads)
        {
            byte[]? legacy = thread.FpRegs is var (fpSegment, fpOffset, fpLength) && fpLength >= LegacyRegion.Size
                ? segments[fpSegment].AsSpan(fpOffset, LegacyRegion.Size).ToArray()
                : null;
            if (thread.XState is var (segment, offset, length))
            {
                XSaveImage state = XSaveImage.ParseWithSource(segments[segment].AsSpan(offset, length), notes.Layout, LayoutSource.KernelNote);
                threads.Add(new ThreadState(thread.Id, state) { Signal = thread.Signal, LegacyNote = legacy });
            }
            else if (legacy is not null)
            {
                threads.Add(new ThreadState(thread.Id, XSaveImage.Parse(legacy)) { Signal = thread.Signal });
            }
        }

        if (threads.Count == 0)
        {
            throw new InvalidXSaveImageException("notes", $"The core holds no thread's floating-point state: its notes are {notes.Inventory()}. Reading a thread needs its NT_X86_XSTATE (the kernel and gdb write one per thread) or at least its NT_PRFPREG (the legacy x87 and SSE state, as .NET's createdump writes).");
        }

        return threads;
    }

    /// <summary>
    /// The layout an <c>NT_X86_XSAVE_LAYOUT</c> note states: one entry per enabled component
    /// past the legacy region, four u32 each (feature, size, offset, flags).
    /// </summary>
    /// <param name="description">The note's description.</param>
    /// <exception cref="InvalidXSaveImageException">The note is not a whole number of entries, or an entry puts a component inside the legacy region or header.</exception>
    public static XSaveLayout ReadLayoutNote(ReadOnlySpan<byte> description)
    {
        if (description.Length % LayoutEntrySize != 0)
        {
            throw new InvalidXSaveImageException("NT_X86_XSAVE_LAYOUT", $"The layout note has {description.Length} bytes, not a whole number of {LayoutEntrySize}-byte entries.");
        }

        var slots = new ComponentSlot[StateComponent.Count];
        for (; !description.IsEmpty; description = description[LayoutEntrySize..])
        {
            uint feature = BinaryPrimitives.ReadUInt32LittleEndian(description), size = BinaryPrimitives.ReadUInt32LittleEndian(description[4..]);
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(description[8..]);
            if (feature < 2 || feature >= StateComponent.Count)
            {
                continue; // the legacy region's components, or ones no view reads
            }

            if (size == 0 || offset < XSaveArea.HeaderOffset + XSaveHeader.Size || offset + (ulong)size > int.MaxValue)
            {
                throw new InvalidXSaveImageException("NT_X86_XSAVE_LAYOUT", $"The layout note puts component {feature} at offset {offset} with size {size}: not a slot past the XSAVE header.");
            }

            slots[feature] = new ComponentSlot((int)offset, (int)size);
        }

        return XSaveLayout.FromSlots("the kernel's layout note (NT_X86_XSAVE_LAYOUT)", slots);
    }

    private sealed class CoreNotes
    {
        public sealed class Thread(int id, int signal)
        {
            public int Id { get; } = id;

            public int Signal { get; } = signal;

            public (int Segment, int Offset, int Length)? XState { get; set; }

            public (int Segment, int Offset, int Length)? FpRegs { get; set; }
        }

        public List<Thread> Threads { get; } = [];

        public XSaveLayout? Layout { get; set; }

        public SortedDictionary<uint, int> Counts { get; } = [];

        // The notes a thread's state comes after; those before any NT_PRSTATUS belong to thread 0.
        public Thread Current => Threads.Count > 0 ? Threads[^1] : Add(0, 0);

        public Thread Add(int id, int signal)
        {
            Threads.Add(new Thread(id, signal));
            return Threads[^1];
        }

        public string Inventory() => Counts.Count == 0
            ? "none at all"
            : string.Join(", ", System.Linq.Enumerable.Select(Counts, c => $"{NoteName(c.Key)} ×{c.Value}"));
    }

    private static string NoteName(uint type) => type switch
    {
        NtPrStatus => "NT_PRSTATUS",
        NtPrFpReg => "NT_PRFPREG",
        3 => "NT_PRPSINFO",
        4 => "NT_TASKSTRUCT",
        6 => "NT_AUXV",
        0x200 => "NT_386_TLS",
        0x201 => "NT_386_IOPERM",
        NtX86XState => "NT_X86_XSTATE",
        0x204 => "NT_X86_SHSTK",
        NtX86XSaveLayout => "NT_X86_XSAVE_LAYOUT",
        0x46494C45 => "NT_FILE",
        0x53494749 => "NT_SIGINFO",
        _ => $"type 0x{type:X}",
    };

    private static void ReadNotes(ReadOnlySpan<byte> notes, int segment, CoreNotes found)
    {
        int consumed = 0;
        while (notes.Length >= 12)
        {
            uint nameSize = BinaryPrimitives.ReadUInt32LittleEndian(notes), descriptionSize = BinaryPrimitives.ReadUInt32LittleEndian(notes[4..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(notes[8..]);
            ulong descriptionStart = 12 + Align4(nameSize), end = descriptionStart + Align4(descriptionSize);
            if (end > (ulong)notes.Length)
            {
                throw new InvalidXSaveImageException("note", $"A note of type 0x{type:X} claims {descriptionSize} bytes past the end of its segment.");
            }

            ReadOnlySpan<byte> description = notes.Slice((int)descriptionStart, (int)descriptionSize);
            found.Counts[type] = found.Counts.GetValueOrDefault(type) + 1;
            if (type == NtPrStatus && description.Length >= PrStatusPidOffset + 4)
            {
                found.Add(BinaryPrimitives.ReadInt32LittleEndian(description[PrStatusPidOffset..]), BinaryPrimitives.ReadInt16LittleEndian(description[PrStatusSignalOffset..]));
            }
            else if (type == NtX86XState)
            {
                found.Current.XState = (segment, consumed + (int)descriptionStart, description.Length);
            }
            else if (type == NtPrFpReg)
            {
                found.Current.FpRegs = (segment, consumed + (int)descriptionStart, description.Length);
            }
            else if (type == NtX86XSaveLayout)
            {
                found.Layout = ReadLayoutNote(description);
            }

            notes = notes[(int)end..];
            consumed += (int)end;
        }
    }

    private static ulong Align4(uint size) => ((ulong)size + 3) & ~3UL;

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> file, ulong offset, ulong length, string what) =>
        offset <= (ulong)file.Length && length <= (ulong)file.Length - offset
            ? file.Slice((int)offset, (int)length)
            : throw new InvalidXSaveImageException(what, $"The {what} at {offset} ({length} bytes) lies past the end of the {file.Length}-byte file.");
}
