using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace XSave;

/// <summary>
/// Reads the extended state of every thread from a Linux x86-64 ELF core file: each thread's
/// <c>NT_PRSTATUS</c> note (its id) is followed by its <c>NT_X86_XSTATE</c> note (its XSAVE image).
/// Plain C#: cores from x86 machines can be read on any host.
/// </summary>
public static class LinuxCoreFile
{
    private const uint NtPrStatus = 1, NtX86XState = 0x202; // include/uapi/linux/elf.h
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
        if (core.Length < 64 || !core[..4].SequenceEqual("\u007FELF"u8) || core[4] != 2 || core[5] != 1)
        {
            throw new InvalidXSaveImageException("ELF header", "Not a 64-bit little-endian ELF file.");
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(core[16..]) != 4)
        {
            throw new InvalidXSaveImageException("e_type", "The ELF file is not a core file (e_type is not ET_CORE).");
        }

        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(core[32..]);
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(core[54..]), phnum = BinaryPrimitives.ReadUInt16LittleEndian(core[56..]);
        var threads = new List<ThreadState>();
        for (int i = 0; i < phnum; i++)
        {
            ReadOnlySpan<byte> header = Slice(core, phoff + ((ulong)i * (ulong)phentsize), 56, "program header");
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != 4)
            {
                continue; // not PT_NOTE
            }

            ReadNotes(Slice(core, BinaryPrimitives.ReadUInt64LittleEndian(header[8..]), BinaryPrimitives.ReadUInt64LittleEndian(header[32..]), "PT_NOTE segment"), threads);
        }

        return threads;
    }

    private static void ReadNotes(ReadOnlySpan<byte> notes, List<ThreadState> threads)
    {
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
                threads.Add(new ThreadState(threadId, XSaveImage.Parse(description)));
            }

            notes = notes[(int)end..];
        }
    }

    private static ulong Align4(uint size) => ((ulong)size + 3) & ~3UL;

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> file, ulong offset, ulong length, string what) =>
        offset <= (ulong)file.Length && length <= (ulong)file.Length - offset
            ? file.Slice((int)offset, (int)length)
            : throw new InvalidXSaveImageException(what, $"The {what} at {offset} ({length} bytes) lies past the end of the {file.Length}-byte file.");
}
