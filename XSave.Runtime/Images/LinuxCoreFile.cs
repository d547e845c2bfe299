using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;

namespace XSave;

/// <summary>
/// Reads the extended state of every thread from a Linux x86-64 ELF core file: each thread's
/// <c>NT_PRSTATUS</c> note (its id) is followed by its <c>NT_X86_XSTATE</c> note (its XSAVE image).
/// Linux 6.x also writes one <c>NT_X86_XSAVE_LAYOUT</c> note, the kernel's own statement of where
/// each component lies; when present it locates every thread's components, else the layout is
/// inferred from XCR0 and the image's size (<see cref="XSaveImage.Parse"/>). Plain C#: cores from
/// x86 machines can be read on any host.
/// </summary>
public static class LinuxCoreFile
{
    private const uint NtPrStatus = 1, NtX86XState = 0x202, NtX86XSaveLayout = 0x205; // include/uapi/linux/elf.h
    private const int LayoutEntrySize = 16;                  // struct x86_xfeat_component: type, size, offset, flags (u32 each)
    private const int PrStatusPidOffset = 32;                // struct elf_prstatus: pr_pid after siginfo, cursig, sigpend, sighold

    /// <summary>One thread's state in a core file.</summary>
    /// <param name="ThreadId">The thread's id (pr_pid of its NT_PRSTATUS), or 0 if no status preceded it.</param>
    /// <param name="State">Its NT_X86_XSTATE image.</param>
    public sealed record ThreadState(int ThreadId, XSaveImage State);

    /// <summary>Every thread's NT_X86_XSTATE, in the order the core lists them.</summary>
    /// <param name="core">The whole core file.</param>
    /// <exception cref="InvalidXSaveImageException">Not a 64-bit little-endian ELF core, a malformed note, or a malformed image.</exception>
    public static IReadOnlyList<ThreadState> ReadThreads(ReadOnlySpan<byte> core)
    {
        var (phoff, phentsize, phnum) = ElfHeader(core[..Math.Min(core.Length, ElfHeaderSize)], (ulong)core.Length);
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
    /// Every thread's NT_X86_XSTATE from a core file on disk, reading only the ELF and program
    /// headers and the PT_NOTE segments: memory bounded by the notes, time independent of the
    /// core's size (cores of server processes run to tens of gigabytes).
    /// </summary>
    /// <param name="path">The core file.</param>
    /// <exception cref="InvalidXSaveImageException">Not a 64-bit little-endian ELF core, a malformed note, or a malformed image.</exception>
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

    /// <summary>As <see cref="ReadThreads(string)"/>, from a seekable stream positioned anywhere.</summary>
    /// <param name="core">The core file, readable and seekable.</param>
    /// <exception cref="InvalidXSaveImageException">Not a 64-bit little-endian ELF core, a malformed note, or a malformed image.</exception>
    public static IReadOnlyList<ThreadState> ReadThreads(Stream core)
    {
        ulong length = (ulong)core.Length;
        var (phoff, phentsize, phnum) = ElfHeader(ReadAt(core, 0, Math.Min(length, ElfHeaderSize), "ELF header"), length);
        var segments = new List<byte[]>();
        for (int i = 0; i < phnum; i++)
        {
            byte[] header = ReadAt(core, phoff + ((ulong)i * (ulong)phentsize), ProgramHeaderSize, "program header");
            if (NoteSegment(header) is { } note)
            {
                segments.Add(ReadAt(core, note.Offset, note.Length, "PT_NOTE segment"));
            }
        }

        return FromNoteSegments(segments);
    }

    private const int ElfHeaderSize = 64, ProgramHeaderSize = 56;

    private static (ulong Phoff, int Phentsize, int Phnum) ElfHeader(ReadOnlySpan<byte> header, ulong fileLength)
    {
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

    private static byte[] ReadAt(Stream stream, ulong offset, ulong length, string what)
    {
        ulong fileLength = (ulong)stream.Length;
        if (offset > fileLength || length > fileLength - offset || length > int.MaxValue)
        {
            throw new InvalidXSaveImageException(what, $"The {what} at {offset} ({length} bytes) lies past the end of the {fileLength}-byte file.");
        }

        byte[] bytes = new byte[length];
        stream.Position = (long)offset;
        stream.ReadExactly(bytes);
        return bytes;
    }

    // The layout note follows the threads' notes: the images are parsed once every note is read.
    private static List<ThreadState> FromNoteSegments(List<byte[]> segments)
    {
        var notes = new CoreNotes();
        for (int i = 0; i < segments.Count; i++)
        {
            ReadNotes(segments[i], i, notes);
        }

        var threads = new List<ThreadState>(notes.States.Count);
        foreach (var (threadId, segment, offset, length) in notes.States)
        {
            threads.Add(new ThreadState(threadId, XSaveImage.ParseWithSource(segments[segment].AsSpan(offset, length), notes.Layout, LayoutSource.KernelNote)));
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

        var slots = new ComponentSlot[XSaveLayout.ComponentCount];
        for (; !description.IsEmpty; description = description[LayoutEntrySize..])
        {
            uint feature = BinaryPrimitives.ReadUInt32LittleEndian(description), size = BinaryPrimitives.ReadUInt32LittleEndian(description[4..]);
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(description[8..]);
            if (feature < 2 || feature >= XSaveLayout.ComponentCount)
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
        public List<(int ThreadId, int Segment, int Offset, int Length)> States { get; } = [];

        public XSaveLayout? Layout { get; set; }
    }

    private static void ReadNotes(ReadOnlySpan<byte> notes, int segment, CoreNotes found)
    {
        int consumed = 0;
        int threadId = 0;
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
            if (type == NtPrStatus && description.Length >= PrStatusPidOffset + 4)
            {
                threadId = BinaryPrimitives.ReadInt32LittleEndian(description[PrStatusPidOffset..]);
            }
            else if (type == NtX86XState)
            {
                found.States.Add((threadId, segment, consumed + (int)descriptionStart, description.Length));
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
