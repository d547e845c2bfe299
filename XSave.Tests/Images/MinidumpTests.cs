using System.Buffers.Binary;
using System.IO;

namespace XSave.Tests.Images;

/// <summary>
/// Minidumps built byte by byte (Support/MinidumpBuilder): each context kind producers write, the
/// XSTATE path through CONTEXT_EX and MINIDUMP_MISC_INFO_5, and the malformed ones a reader meets.
/// Plain parsing: runs on any CPU.
/// </summary>
public class MinidumpTests
{
    private const ulong CompactedAvxCetU = 0x8000000000000807, AvxCetU = 0x807;

    // XSTATE as Windows stores it for a thread with AVX and CET_U in use: compacted, AVX's upper
    // halves (YMMi byte j = 0x80 + 16i + j) right after the header, then IA32_U_CET and IA32_PL3_SSP.
    private static byte[] CompactedChunk(ulong uCet, ulong ssp)
    {
        byte[] components = new byte[256 + 16];
        for (int i = 0; i < 256; i++)
        {
            components[i] = (byte)(0x80 + i);
        }

        BinaryPrimitives.WriteUInt64LittleEndian(components.AsSpan(256), uCet);
        BinaryPrimitives.WriteUInt64LittleEndian(components.AsSpan(264), ssp);
        return MinidumpBuilder.XStateChunk(AvxCetU, CompactedAvxCetU, components);
    }

    private static MinidumpBuilder WindowsLike()
    {
        var dump = new MinidumpBuilder { MiscInfo = MinidumpBuilder.MiscInfo5(AvxCetU, (2, 576, 256), (11, 0, 16)) };
        // CONTEXT_EX puts the chunk at a different distance in each thread: follow it, never a constant.
        dump.Threads.Add((0x1A2C, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x027F, 0x1F80, 0x10), 0x1F80, CompactedChunk(1, 0x7FFE_1234_5000), gap: 40)));
        dump.Threads.Add((0x2B3D, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x0E7F, 0x7F80, 0x40), 0x7F80, CompactedChunk(0, 0), gap: 296)));
        dump.Exception = (0x1A2C, 0xC0000005, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x027F, 0x5F80, 0x20), 0x5F80, CompactedChunk(1, 0x7FFE_1234_4FF8)));
        dump.Names[0x1A2C] = "Main thread";
        dump.Names[0x2B3D] = ".NET TP Worker";
        return dump;
    }

    private static byte[] Xmm(XSaveArea area, int i)
    {
        byte[] bytes = new byte[16];
        System.Runtime.InteropServices.MemoryMarshal.Write(bytes, area.Legacy.Xmm[i]);
        return bytes;
    }

    private static byte[] Sequence(int start, int count) => Enumerable.Range(start, count).Select(b => (byte)b).ToArray();

    [Test]
    public void An_x64_dump_with_compacted_XSTATE_reads_every_thread_its_name_and_CET_U()
    {
        Minidump dump = MinidumpFile.Read(WindowsLike().Build());
        Assert.That(dump.Threads.Select(t => (t.ThreadId, t.Source)), Is.EqualTo(new[]
        {
            (0x1A2Cu, MinidumpContextSource.ThreadList), (0x2B3Du, MinidumpContextSource.ThreadList), (0x1A2Cu, MinidumpContextSource.Exception),
        }));
        MinidumpThread main = dump.Threads[0], worker = dump.Threads[1];
        XSaveImage state = main.State!;
        Assert.Multiple(() =>
        {
            Assert.That(dump.ArchitectureName, Is.EqualTo("x64"));
            Assert.That(dump.XStateEnabledFeatures, Is.EqualTo((XFeatures)AvxCetU));
            Assert.That(main.Name, Is.EqualTo("Main thread"));
            Assert.That(worker.Name, Is.EqualTo(".NET TP Worker"));
            Assert.That(main.HasXState, Is.True);
            Assert.That(state.Format, Is.EqualTo(XSaveImageFormat.Compacted));
            Assert.That(state.InUse, Is.EqualTo((XFeatures)AvxCetU));
            Assert.That((ushort)state.Area.Legacy.Fcw, Is.EqualTo(0x027F));
            Assert.That(Xmm(state.Area, 3), Is.EqualTo(Sequence(0x10 + 48, 16)));
            Assert.That(state.GetComponent(XFeatures.Avx).ToArray(), Is.EqualTo(Sequence(0x80, 256)));
            Assert.That(state.Layout.Slot(XFeatures.CetUser), Is.EqualTo(new ComponentSlot(832, 16)), "CET_U after AVX in the compacted form");
            Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(state.Area.ToArray().AsSpan(840)), Is.EqualTo(0x7FFE_1234_5000UL), "IA32_PL3_SSP");
            Assert.That((uint)worker.State!.Area.Legacy.Mxcsr, Is.EqualTo(0x7F80));
            Assert.That(Xmm(worker.State.Area, 0), Is.EqualTo(Sequence(0x40, 16)));
        });
    }

    [Test]
    public void The_exception_stream_gives_the_state_at_the_fault_beside_the_thread_lists()
    {
        Minidump dump = MinidumpFile.Read(WindowsLike().Build());
        MinidumpThread listed = dump.Threads.Single(t => t.ThreadId == 0x1A2C && t.Source == MinidumpContextSource.ThreadList);
        MinidumpThread atFault = dump.Threads.Single(t => t.Source == MinidumpContextSource.Exception);
        Assert.Multiple(() =>
        {
            Assert.That(atFault.ExceptionCode, Is.EqualTo(0xC0000005));
            Assert.That(atFault.Name, Is.EqualTo("Main thread"));
            Assert.That((uint)atFault.State!.Area.Legacy.Mxcsr, Is.EqualTo(0x5F80));
            Assert.That((uint)listed.State!.Area.Legacy.Mxcsr, Is.EqualTo(0x1F80));
            Assert.That(listed.ExceptionCode, Is.Null);
        });
    }

    [Test]
    public void A_standard_format_XSTATE_chunk_is_located_by_the_dumps_XStateData()
    {
        byte[] avx = Sequence(0x30, 256);
        var builder = new MinidumpBuilder { MiscInfo = MinidumpBuilder.MiscInfo5(0x7, (2, 576, 256)) };
        builder.Threads.Add((7, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x027F, 0x1F80, 1), 0x1F80, MinidumpBuilder.XStateChunk(0x7, 0, avx))));
        XSaveImage state = MinidumpFile.Read(builder.Build()).Threads[0].State!;
        Assert.Multiple(() =>
        {
            Assert.That(state.LayoutSource, Is.EqualTo(LayoutSource.MinidumpXStateData));
            Assert.That(state.GetComponent(XFeatures.Avx).ToArray(), Is.EqualTo(avx));
        });
    }

    [Test]
    public void A_compacted_chunk_that_disagrees_with_XStateData_is_refused()
    {
        var builder = new MinidumpBuilder { MiscInfo = MinidumpBuilder.MiscInfo5(AvxCetU, (2, 576, 128), (11, 0, 16)) };
        builder.Threads.Add((7, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x027F, 0x1F80, 1), 0x1F80, CompactedChunk(0, 0))));
        var e = Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(builder.Build()));
        Assert.That(e!.Message, Does.Contain("XCOMP_BV lays out component 2 with 256 bytes, but the dump's XStateData says 128"));
    }

    [Test]
    public void An_x86_context_keeps_its_32_bit_FXSAVE_layout_apart()
    {
        byte[] fxsave32 = MinidumpBuilder.Legacy(0x027F, 0x1F80, 0x50, xmmCount: 8);
        BinaryPrimitives.WriteUInt32LittleEndian(fxsave32.AsSpan(8), 0x00401234);  // FIP
        BinaryPrimitives.WriteUInt16LittleEndian(fxsave32.AsSpan(12), 0x23);       // FCS
        BinaryPrimitives.WriteUInt32LittleEndian(fxsave32.AsSpan(16), 0x00405678); // FDP
        BinaryPrimitives.WriteUInt16LittleEndian(fxsave32.AsSpan(20), 0x2B);       // FDS
        fxsave32.AsSpan(288, 128).Fill(0xEE); // XMM8–15 do not exist in 32-bit mode: whatever is there is not a register
        var builder = new MinidumpBuilder { Architecture = 0 };
        builder.Threads.Add((0x99, MinidumpBuilder.X86Context(MinidumpBuilder.X86Flags, fxsave32)));
        Minidump dump = MinidumpFile.Read(builder.Build());
        MinidumpThread thread = dump.Threads[0];
        Assert.Multiple(() =>
        {
            Assert.That(dump.ArchitectureName, Is.EqualTo("x86"));
            Assert.That(thread.LegacyFormat, Is.EqualTo(LegacyRegionFormat.FxSave32));
            Assert.That(thread.Selectors, Is.EqualTo(((ushort)0x23, (ushort)0x2B)));
            Assert.That(thread.State!.Area.Legacy.Fip, Is.EqualTo(0x00401234UL), "FIP without FCS in its upper bits");
            Assert.That(thread.State.Area.Legacy.Fdp, Is.EqualTo(0x00405678UL), "FDP without FDS in its upper bits");
            Assert.That(Xmm(thread.State.Area, 7), Is.EqualTo(Sequence(0x50 + 112, 16)));
            Assert.That(Xmm(thread.State.Area, 8), Is.EqualTo(new byte[16]));
            Assert.That(thread.ContextMxcsr, Is.Null);
        });
    }

    [Test]
    public void Breakpads_zero_CONTEXT_MxCsr_is_kept_apart_from_FltSaves()
    {
        var builder = new MinidumpBuilder { Architecture = 9 };
        builder.Threads.Add((1, MinidumpBuilder.X64Context(0x10000B, MinidumpBuilder.Legacy(0x037F, 0x1F80, 0), contextMxcsr: 0)));
        MinidumpThread thread = MinidumpFile.Read(builder.Build()).Threads[0];
        Assert.Multiple(() =>
        {
            Assert.That((uint)thread.State!.Area.Legacy.Mxcsr, Is.EqualTo(0x1F80));
            Assert.That(thread.ContextMxcsr, Is.EqualTo(0u));
            Assert.That(thread.State.Format, Is.EqualTo(XSaveImageFormat.FxSave), "no XSTATE: the legacy region only");
        });
    }

    [Test]
    public void A_thread_without_floating_point_state_says_so_and_a_dump_of_only_such_threads_is_refused()
    {
        byte[] lldb = new byte[720];
        BinaryPrimitives.WriteUInt32LittleEndian(lldb.AsSpan(0x30), MinidumpBuilder.Amd64NoFloatingPoint);
        var mixed = new MinidumpBuilder();
        mixed.Threads.Add((1, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x037F, 0x1F80, 0), 0x1F80)));
        mixed.Threads.Add((2, lldb));
        MinidumpThread general = MinidumpFile.Read(mixed.Build()).Threads[1];
        Assert.That(general.State, Is.Null);
        Assert.That(general.NoStateReason, Does.Contain("no floating-point state").And.Contain("0x100007"));

        var only = new MinidumpBuilder();
        only.Threads.Add((1, lldb));
        only.Threads.Add((2, lldb));
        var e = Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(only.Build()));
        Assert.That(e!.Message, Does.Contain("holds no thread's floating-point state").And.Contain("contexts of its 2 thread(s)").And.Contain("0x100007"));
    }

    [Test]
    public void A_thread_whose_context_is_empty_says_so_and_the_others_are_read()
    {
        // As .NET's createdump.exe wrote one under Wine for a thread it could not stop in time.
        var dump = new MinidumpBuilder();
        dump.Threads.Add((1, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x027F, 0x5F80, 3), 0x5F80)));
        dump.Threads.Add((2, []));
        var threads = MinidumpFile.Read(dump.Build()).Threads;
        Assert.Multiple(() =>
        {
            Assert.That(threads[0].State!.Area.Legacy.Mxcsr, Is.EqualTo((Mxcsr)0x5F80));
            Assert.That(threads[1].State, Is.Null);
            Assert.That(threads[1].NoStateReason, Does.Contain("no context").And.Contain("DataSize is 0"));
        });

        var empty = new MinidumpBuilder();
        empty.Threads.Add((1, []));
        Assert.That(Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(empty.Build()))!.Message, Does.Contain("holds no thread's floating-point state"));
    }

    [Test]
    public void A_dump_of_another_architecture_is_refused_by_name()
    {
        var builder = new MinidumpBuilder { Architecture = 12 };
        builder.Threads.Add((1, new byte[912]));
        var e = Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(builder.Build()));
        Assert.That(e!.Message, Does.Contain("ARM64 process"));
    }

    [Test]
    public void ThreadExListStream_and_a_padded_thread_count_are_read_alike()
    {
        MinidumpBuilder extended = WindowsLike();
        extended.ThreadEx = true;
        Assert.That(MinidumpFile.Read(extended.Build()).Threads.Count, Is.EqualTo(3));

        byte[] padded = PadThreadCount(new MinidumpBuilder { Threads = { (5, MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x037F, 0x1F80, 0), 0x1F80)) } }.Build());
        Assert.That(MinidumpFile.Read(padded).Threads.Single().ThreadId, Is.EqualTo(5u));
    }

    // The thread list's count followed by four bytes of padding (as some writers do): the list grows by 4.
    private static byte[] PadThreadCount(byte[] dump)
    {
        uint directory = BinaryPrimitives.ReadUInt32LittleEndian(dump.AsSpan(12));
        for (int i = 0; i < BinaryPrimitives.ReadUInt32LittleEndian(dump.AsSpan(8)); i++)
        {
            Span<byte> entry = dump.AsSpan((int)directory + (i * 12), 12);
            if (BinaryPrimitives.ReadUInt32LittleEndian(entry) == 3)
            {
                uint size = BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]), rva = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
                byte[] list = [.. dump.AsSpan((int)rva, 4), 0, 0, 0, 0, .. dump.AsSpan((int)rva + 4, (int)size - 4)];
                BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], (uint)list.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], (uint)dump.Length);
                return [.. dump, .. list];
            }
        }

        throw new InvalidOperationException("no thread list");
    }

    [Test]
    public void A_forward_only_stream_reads_the_same_and_says_when_a_part_lies_behind()
    {
        byte[] dump = WindowsLike().Build();
        Minidump viaPipe = MinidumpFile.Read(new ForwardOnlyStream(dump));
        Assert.That(viaPipe.Threads.Select(t => (uint)t.State!.Area.Legacy.Mxcsr), Is.EqualTo(MinidumpFile.Read(dump).Threads.Select(t => (uint)t.State!.Area.Legacy.Mxcsr)));

        MinidumpBuilder early = WindowsLike();
        early.ContextsFirst = true;
        Assert.That(MinidumpFile.Read(early.Build()).Threads.Count, Is.EqualTo(3), "from a file, any order");
        var e = Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(new ForwardOnlyStream(early.Build())));
        Assert.That(e!.Message, Does.Contain("the stream cannot go back"));
    }

    [Test]
    public void A_context_the_thread_list_and_the_exception_share_is_read_once_even_from_a_pipe()
    {
        byte[] context = MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x027F, 0x5F80, 0), 0x5F80);
        var builder = new MinidumpBuilder();
        builder.Threads.Add((9, context));
        builder.Exception = (9, 0xC0000005, context);
        byte[] dump = builder.Build();
        // Point the exception's context at the thread list's copy, as a writer may.
        int exceptionContext = LocationOf(dump, 6, 160);
        BinaryPrimitives.WriteUInt32LittleEndian(dump.AsSpan(exceptionContext + 4), BinaryPrimitives.ReadUInt32LittleEndian(dump.AsSpan(ThreadListRva(dump) + 4 + 44)));
        Minidump read = MinidumpFile.Read(new ForwardOnlyStream(dump));
        Assert.That(read.Threads.Select(t => (uint)t.State!.Area.Legacy.Mxcsr), Is.EqualTo(new[] { 0x5F80u, 0x5F80u }));
    }

    // Where a stream's field at `offset` lies in the file (the stream found by its type in the directory).
    private static int LocationOf(byte[] dump, uint type, int offset)
    {
        uint directory = BinaryPrimitives.ReadUInt32LittleEndian(dump.AsSpan(12));
        for (int i = 0; ; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(dump.AsSpan((int)directory + (i * 12))) == type)
            {
                return (int)BinaryPrimitives.ReadUInt32LittleEndian(dump.AsSpan((int)directory + (i * 12) + 8)) + offset;
            }
        }
    }

    [TestCase(0, "does not start with \"MDMP\"")]
    [TestCase(3, "does not start with \"MDMP\"")]
    [TestCase(20, "inside its 32-byte header")]
    public void A_truncated_header_is_refused(int length, string expected)
    {
        byte[] dump = WindowsLike().Build()[..length];
        var e = Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(dump));
        Assert.That(e!.Message, Does.Contain(expected));
    }

    [Test]
    public void Every_truncation_of_a_dump_is_refused_with_a_format_error()
    {
        byte[] dump = WindowsLike().Build();
        for (int length = 0; length < dump.Length; length += 7)
        {
            Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(dump[..length]), $"cut at {length} of {dump.Length}");
        }
    }

    [TestCase(12, 0x7FFFFFF0u, "stream directory")]             // directory RVA
    [TestCase(8, 1_000_000u, "streams; no writer makes more")]   // NumberOfStreams
    public void Header_fields_past_the_end_or_past_reason_are_refused(int offset, uint value, string expected)
    {
        byte[] dump = WindowsLike().Build();
        BinaryPrimitives.WriteUInt32LittleEndian(dump.AsSpan(offset), value);
        var e = Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(dump));
        Assert.That(e!.Message, Does.Contain(expected));
    }

    [Test]
    public void A_million_threads_are_refused_before_anything_is_allocated_for_them()
    {
        byte[] dump = WindowsLike().Build();
        int list = ThreadListRva(dump);
        BinaryPrimitives.WriteUInt32LittleEndian(dump.AsSpan(list), 1_000_000);
        var e = Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(dump));
        Assert.That(e!.Message, Does.Contain("1000000 threads"));
    }

    [TestCase(40, 5_000_000u, "claims 5000000 bytes")]    // context DataSize
    [TestCase(44, 0x7FFF0000u, "lies past the end")]      // context RVA
    public void A_thread_whose_context_location_is_impossible_is_refused(int field, uint value, string expected)
    {
        byte[] dump = WindowsLike().Build();
        BinaryPrimitives.WriteUInt32LittleEndian(dump.AsSpan(ThreadListRva(dump) + 4 + field), value);
        var e = Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(dump));
        Assert.That(e!.Message, Does.Contain(expected));
    }

    [TestCase(-5000)]
    [TestCase(4)]
    [TestCase(100_000)]
    public void A_CONTEXT_EX_that_points_outside_the_context_is_refused(int xstateOffset)
    {
        byte[] context = MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x037F, 0x1F80, 0), 0x1F80, CompactedChunk(0, 0));
        BinaryPrimitives.WriteInt32LittleEndian(context.AsSpan(1232 + 16), xstateOffset);
        var builder = new MinidumpBuilder();
        builder.Threads.Add((3, context));
        var e = Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(builder.Build()));
        Assert.That(e!.Message, Does.Contain("CONTEXT_EX puts the XSTATE chunk").And.Contain("thread 3"));
    }

    [TestCase(100)]
    [TestCase(1232 + 10)]
    public void A_context_too_short_for_what_its_flags_claim_is_refused(int size)
    {
        byte[] context = MinidumpBuilder.X64Context(MinidumpBuilder.Amd64Flags, MinidumpBuilder.Legacy(0x037F, 0x1F80, 0), 0x1F80, CompactedChunk(0, 0))[..size];
        var builder = new MinidumpBuilder();
        builder.Threads.Add((3, context));
        Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(builder.Build()));
    }

    [Test]
    public void A_context_of_no_known_kind_is_refused_naming_the_thread()
    {
        var builder = new MinidumpBuilder();
        builder.Threads.Add((0x44, new byte[1232]));
        var e = Assert.Throws<InvalidXSaveImageException>(() => MinidumpFile.Read(builder.Build()));
        Assert.That(e!.Message, Does.Contain("thread 68").And.Contain("neither an x64 CONTEXT"));
    }

    private static int ThreadListRva(byte[] dump) => LocationOf(dump, 3, 0);

    /// <summary>A pipe's view of bytes: no seeking, no length.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 100));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
