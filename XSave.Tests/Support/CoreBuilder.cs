using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace XSave.Tests.Support;

/// <summary>
/// Writes a minimal Linux x86-64 ELF core: one PT_NOTE segment with, per thread, NT_PRSTATUS
/// (its id) and NT_X86_XSTATE (its image), then optionally NT_X86_XSAVE_LAYOUT, in the order
/// and form the kernel writes them.
/// </summary>
internal sealed class CoreBuilder
{
    private const int ElfHeader = 64, ProgramHeader = 56, PrStatusSize = 336;
    private readonly MemoryStream _notes = new();

    /// <summary>An NT_X86_XSTATE image as the kernel writes it: init control words, XCR0 at 464, XSTATE_BV at 512.</summary>
    public static byte[] XStateImage(int size, ulong xcr0, ulong xstateBv)
    {
        byte[] image = new byte[size];
        BinaryPrimitives.WriteUInt16LittleEndian(image, 0x037F);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(24), 0x1F80);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(464), xcr0);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(512), xstateBv);
        return image;
    }

    public CoreBuilder Thread(int id, ReadOnlySpan<byte> xstate) => Status(id).Note("LINUX", 0x202, xstate);

    /// <summary>A thread as .NET's createdump writes it: NT_PRSTATUS, then NT_PRFPREG (the 512-byte FXSAVE image), no NT_X86_XSTATE.</summary>
    public CoreBuilder LegacyThread(int id, ReadOnlySpan<byte> fxsave, short signal = 0) => Status(id, signal).Note("CORE", 2, fxsave);

    /// <summary>NT_PRSTATUS alone: pr_cursig at 12, pr_pid at 32.</summary>
    public CoreBuilder Status(int id, short signal = 0)
    {
        byte[] status = new byte[PrStatusSize];
        BinaryPrimitives.WriteInt16LittleEndian(status.AsSpan(12), signal); // pr_cursig
        BinaryPrimitives.WriteInt32LittleEndian(status.AsSpan(32), id); // pr_pid
        return Note("CORE", 1, status);
    }

    /// <summary>Any note, e.g. NT_PRFPREG (2) or NT_AUXV (6).</summary>
    public CoreBuilder Note(string name, uint type, ReadOnlySpan<byte> description)
    {
        byte[] nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)nameBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)description.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], type);
        _notes.Write(header);
        Write(nameBytes);
        Write(description);
        return this;
    }

    /// <summary>NT_X86_XSAVE_LAYOUT: (feature, size, offset, flags) for each component past the header.</summary>
    public CoreBuilder Layout(IEnumerable<(int Feature, int Offset, int Size)> components)
    {
        var entries = new MemoryStream();
        byte[] entry = new byte[16];
        foreach (var (feature, offset, size) in components)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(entry, (uint)feature);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(4), (uint)size);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(8), (uint)offset);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(12), 0);
            entries.Write(entry);
        }

        Note("LINUX", 0x205, entries.ToArray());
        return this;
    }

    public byte[] Build()
    {
        byte[] notes = _notes.ToArray();
        byte[] core = new byte[ElfHeader + ProgramHeader + notes.Length];
        "\u007FELF"u8.CopyTo(core);
        core[4] = 2; // ELFCLASS64
        core[5] = 1; // little-endian
        core[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(core.AsSpan(16), 4);  // ET_CORE
        BinaryPrimitives.WriteUInt16LittleEndian(core.AsSpan(18), 62); // EM_X86_64
        BinaryPrimitives.WriteUInt64LittleEndian(core.AsSpan(32), ElfHeader);
        BinaryPrimitives.WriteUInt16LittleEndian(core.AsSpan(52), ElfHeader);
        BinaryPrimitives.WriteUInt16LittleEndian(core.AsSpan(54), ProgramHeader);
        BinaryPrimitives.WriteUInt16LittleEndian(core.AsSpan(56), 1);
        Span<byte> note = core.AsSpan(ElfHeader);
        BinaryPrimitives.WriteUInt32LittleEndian(note, 4); // PT_NOTE
        BinaryPrimitives.WriteUInt64LittleEndian(note[8..], ElfHeader + ProgramHeader);
        BinaryPrimitives.WriteUInt64LittleEndian(note[32..], (ulong)notes.Length);
        notes.CopyTo(core.AsSpan(ElfHeader + ProgramHeader));
        return core;
    }


    private void Write(ReadOnlySpan<byte> bytes)
    {
        _notes.Write(bytes);
        _notes.Write(new byte[(4 - (bytes.Length % 4)) % 4]);
    }
}
