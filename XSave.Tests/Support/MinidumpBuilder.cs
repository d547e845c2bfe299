using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;

namespace XSave.Tests.Support;

/// <summary>
/// Minidumps whose every byte the test states: header, stream directory, the streams MinidumpFile
/// reads, and x64 or x86 CONTEXTs (with CONTEXT_EX and an XSTATE chunk where given), laid out in
/// file order after the streams (or before them, <see cref="ContextsFirst"/>).
/// </summary>
internal sealed class MinidumpBuilder
{
    public const uint Amd64Flags = 0x10001F, Amd64NoFloatingPoint = 0x100007, XState = 0x40, X86Flags = 0x1002F;

    public ushort? Architecture { get; set; } = 9;

    public List<(uint Id, byte[] Context)> Threads { get; } = [];

    public (uint ThreadId, uint Code, byte[] Context)? Exception { get; set; }

    public Dictionary<uint, string> Names { get; } = [];

    public byte[]? MiscInfo { get; set; }

    public bool ThreadEx { get; set; }

    public bool ContextsFirst { get; set; }

    public byte[] Build()
    {
        using var file = new MemoryStream();
        var writer = new BinaryWriter(file);
        var streams = new List<(uint Type, byte[] Data)>();
        int directory = 32;
        int count = (Architecture is null ? 0 : 1) + 1 + (Exception is null ? 0 : 1) + (Names.Count > 0 ? 1 : 0) + (MiscInfo is null ? 0 : 1);
        int position = directory + (count * 12);

        // Contexts and names are placed first or last; their RVAs go into the streams.
        int entrySize = ThreadEx ? 64 : 48;
        int streamsSize = 4 + (Threads.Count * entrySize) + (Architecture is null ? 0 : 56) + (Exception is null ? 0 : 168) + (Names.Count > 0 ? 4 + (Names.Count * 12) : 0) + (MiscInfo?.Length ?? 0);
        int next = ContextsFirst ? position : position + streamsSize;
        var payload = new MemoryStream();
        (uint Size, uint Rva) Place(byte[] data)
        {
            var location = ((uint)data.Length, (uint)(next + payload.Length));
            payload.Write(data);
            return location;
        }

        var threadList = new MemoryStream();
        var list = new BinaryWriter(threadList);
        list.Write((uint)Threads.Count);
        foreach (var (id, context) in Threads)
        {
            var (size, rva) = Place(context);
            list.Write(id);
            list.Write(new byte[36]); // suspend count, priority class, priority, TEB, stack descriptor
            list.Write(size);
            list.Write(rva);
            if (ThreadEx)
            {
                list.Write(new byte[16]);
            }
        }

        streams.Add((ThreadEx ? 8u : 3u, threadList.ToArray()));
        if (Exception is var (faulted, code, exceptionContext))
        {
            byte[] stream = new byte[168];
            BinaryPrimitives.WriteUInt32LittleEndian(stream, faulted);
            BinaryPrimitives.WriteUInt32LittleEndian(stream.AsSpan(8), code);
            var (size, rva) = Place(exceptionContext);
            BinaryPrimitives.WriteUInt32LittleEndian(stream.AsSpan(160), size);
            BinaryPrimitives.WriteUInt32LittleEndian(stream.AsSpan(164), rva);
            streams.Add((6, stream));
        }

        if (Architecture is { } architecture)
        {
            byte[] system = new byte[56];
            BinaryPrimitives.WriteUInt16LittleEndian(system, architecture);
            streams.Add((7, system));
        }

        if (Names.Count > 0)
        {
            var names = new MemoryStream();
            var w = new BinaryWriter(names);
            w.Write((uint)Names.Count);
            foreach (var (id, name) in Names)
            {
                byte[] utf16 = System.Text.Encoding.Unicode.GetBytes(name);
                var (_, rva) = Place([.. BitConverter.GetBytes((uint)utf16.Length), .. utf16]);
                w.Write(id);
                w.Write((ulong)rva);
            }

            streams.Add((24, names.ToArray()));
        }

        if (MiscInfo is not null)
        {
            streams.Add((15, MiscInfo));
        }

        writer.Write(0x504D444Du);
        writer.Write(0xA793u);
        writer.Write((uint)streams.Count);
        writer.Write((uint)directory);
        writer.Write(new byte[16]);
        int streamRva = ContextsFirst ? position + (int)payload.Length : position;
        foreach (var (type, data) in streams)
        {
            writer.Write(type);
            writer.Write((uint)data.Length);
            writer.Write((uint)streamRva);
            streamRva += data.Length;
        }

        if (ContextsFirst)
        {
            writer.Write(payload.ToArray());
        }

        foreach (var (_, data) in streams)
        {
            writer.Write(data);
        }

        if (!ContextsFirst)
        {
            writer.Write(payload.ToArray());
        }

        return file.ToArray();
    }

    /// <summary>A legacy region (FXSAVE64) with the given controls and XMMi byte j = seed + 16i + j.</summary>
    public static byte[] Legacy(ushort fcw, uint mxcsr, byte seed, int xmmCount = 16)
    {
        byte[] legacy = new byte[512];
        BinaryPrimitives.WriteUInt16LittleEndian(legacy, fcw);
        BinaryPrimitives.WriteUInt32LittleEndian(legacy.AsSpan(24), mxcsr);
        BinaryPrimitives.WriteUInt32LittleEndian(legacy.AsSpan(28), 0xFFFF);
        for (int i = 0; i < xmmCount; i++)
        {
            for (int j = 0; j < 16; j++)
            {
                legacy[160 + (16 * i) + j] = (byte)(seed + (16 * i) + j);
            }
        }

        return legacy;
    }

    /// <summary>
    /// An x64 CONTEXT (1232 bytes) with FltSave = <paramref name="legacy"/> and MxCsr =
    /// <paramref name="contextMxcsr"/>; with <paramref name="xstate"/> (the chunk from the XSAVE
    /// header on), a CONTEXT_EX and the chunk <paramref name="gap"/> bytes after it.
    /// </summary>
    public static byte[] X64Context(uint flags, byte[] legacy, uint contextMxcsr, byte[]? xstate = null, int gap = 40)
    {
        byte[] context = new byte[1232 + (xstate is null ? 0 : 24 + gap + xstate.Length)];
        BinaryPrimitives.WriteUInt32LittleEndian(context.AsSpan(0x30), flags | (xstate is null ? 0 : XState));
        BinaryPrimitives.WriteUInt32LittleEndian(context.AsSpan(0x34), contextMxcsr);
        legacy.CopyTo(context, 0x100);
        if (xstate is not null)
        {
            WriteContextEx(context, 1232, 24 + gap, xstate);
        }

        return context;
    }

    /// <summary>An x86 CONTEXT (716 bytes) with ExtendedRegisters = <paramref name="fxsave32"/>, and an XSTATE chunk as for x64.</summary>
    public static byte[] X86Context(uint flags, byte[] fxsave32, byte[]? xstate = null, int gap = 40)
    {
        byte[] context = new byte[716 + (xstate is null ? 0 : 24 + gap + xstate.Length)];
        BinaryPrimitives.WriteUInt32LittleEndian(context, flags | (xstate is null ? 0 : XState));
        fxsave32.CopyTo(context, 0xCC);
        if (xstate is not null)
        {
            WriteContextEx(context, 716, 24 + gap, xstate);
        }

        return context;
    }

    // CONTEXT_EX: All, Legacy and XState chunks, offsets from CONTEXT_EX itself.
    private static void WriteContextEx(byte[] context, int contextSize, int xstateOffset, byte[] xstate)
    {
        Span<byte> ex = context.AsSpan(contextSize);
        BinaryPrimitives.WriteInt32LittleEndian(ex, -contextSize);
        BinaryPrimitives.WriteUInt32LittleEndian(ex[4..], (uint)context.Length);
        BinaryPrimitives.WriteInt32LittleEndian(ex[8..], -contextSize);
        BinaryPrimitives.WriteUInt32LittleEndian(ex[12..], (uint)contextSize);
        BinaryPrimitives.WriteInt32LittleEndian(ex[16..], xstateOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(ex[20..], (uint)xstate.Length);
        xstate.CopyTo(context, contextSize + xstateOffset);
    }

    /// <summary>An XSTATE chunk: the 64-byte header (XSTATE_BV, XCOMP_BV), then <paramref name="components"/> as laid out.</summary>
    public static byte[] XStateChunk(ulong xstateBv, ulong xcompBv, byte[] components)
    {
        byte[] chunk = new byte[64 + components.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(chunk, xstateBv);
        BinaryPrimitives.WriteUInt64LittleEndian(chunk.AsSpan(8), xcompBv);
        components.CopyTo(chunk, 64);
        return chunk;
    }

    /// <summary>MINIDUMP_MISC_INFO_5 (1364 bytes) whose XStateData enables <paramref name="enabled"/> at the given offsets and sizes.</summary>
    public static byte[] MiscInfo5(ulong enabled, params (int Bit, uint Offset, uint Size)[] features)
    {
        byte[] misc = new byte[1364];
        BinaryPrimitives.WriteUInt32LittleEndian(misc, 1364);
        BinaryPrimitives.WriteUInt32LittleEndian(misc.AsSpan(832), 528);
        BinaryPrimitives.WriteUInt64LittleEndian(misc.AsSpan(840), enabled);
        foreach (var (bit, offset, size) in features)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(misc.AsSpan(848 + (bit * 8)), offset);
            BinaryPrimitives.WriteUInt32LittleEndian(misc.AsSpan(852 + (bit * 8)), size);
        }

        return misc;
    }
}
