namespace XSave.Tests.Images;

/// <summary>Malformed core files are rejected clearly, never read past their end.</summary>
public class CoreFileTests
{
    [Test]
    public void Non_ELF_and_non_core_files_are_rejected()
    {
        Assert.That(Assert.Throws<InvalidXSaveImageException>(() => LinuxCoreFile.ReadThreads(new byte[100]))!.Field, Is.EqualTo("ELF header"));
        byte[] executable = new byte[64];
        "\u007FELF"u8.CopyTo(executable);
        executable[4] = 2;
        executable[5] = 1;
        executable[16] = 2; // ET_EXEC
        Assert.That(Assert.Throws<InvalidXSaveImageException>(() => LinuxCoreFile.ReadThreads(executable))!.Field, Is.EqualTo("e_type"));
    }

    [Test]
    public void A_program_header_past_the_end_is_rejected()
    {
        byte[] core = new byte[64];
        "\u007FELF"u8.CopyTo(core);
        core[4] = 2;
        core[5] = 1;
        core[16] = 4; // ET_CORE
        BitConverter.TryWriteBytes(core.AsSpan(32), 1_000_000UL); // e_phoff
        BitConverter.TryWriteBytes(core.AsSpan(54), (ushort)56);
        BitConverter.TryWriteBytes(core.AsSpan(56), (ushort)1);
        var ex = Assert.Throws<InvalidXSaveImageException>(() => LinuxCoreFile.ReadThreads(core));
        Assert.That(ex!.Message, Does.Contain("past the end"));
    }

    [Test]
    public void A_sparse_64_GB_core_with_1000_threads_is_read_from_its_notes_alone()
    {
        // Zen 3 images (PKRU at 2432) with the kernel's layout note, as Linux 6.x writes them.
        byte[] image = CoreBuilder.XStateImage(2440, xcr0: 0x207, xstateBv: 0x203);
        var builder = new CoreBuilder();
        for (int thread = 1; thread <= 1000; thread++)
        {
            BitConverter.TryWriteBytes(image.AsSpan(2432), 0x55550000u | (uint)thread);
            builder.Thread(thread, image);
        }

        byte[] notes = builder.Layout([(2, 576, 256), (9, 2432, 8)]).Build();
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"xsave-sparse-{Environment.ProcessId}.core");
        try
        {
            using (var file = new System.IO.FileStream(path, System.IO.FileMode.Create))
            {
                file.Write(notes);
                file.SetLength(64L << 30); // the memory segments a real core would carry: a hole, no disk
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            var threads = LinuxCoreFile.ReadThreads(path);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Multiple(() =>
            {
                Assert.That(new System.IO.FileInfo(path).Length, Is.EqualTo(64L << 30));
                Assert.That(threads, Has.Count.EqualTo(1000));
                Assert.That(threads[999].ThreadId, Is.EqualTo(1000));
                Assert.That(threads[999].State.Area.Pkru, Is.EqualTo(0x55550000u | 1000));
                Assert.That(threads[0].State.LayoutSource, Is.EqualTo(LayoutSource.KernelNote));
                Assert.That(allocated, Is.LessThan(64L << 20), "memory bounded by the notes (about 2.5 MB here), not the file");
            });
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Test]
    public void The_stream_and_span_readers_agree()
    {
        byte[] image = CoreBuilder.XStateImage(832, xcr0: 0x7, xstateBv: 0x7);
        image[600] = 0xAB;
        byte[] core = new CoreBuilder().Thread(7, image).Thread(8, image).Build();
        var fromSpan = LinuxCoreFile.ReadThreads(core);
        var fromStream = LinuxCoreFile.ReadThreads(new System.IO.MemoryStream(core));
        Assert.That(fromStream.Select(t => (t.ThreadId, t.State.Area.ToArray().Length, t.State.GetComponent(XFeatures.Avx)[24])),
            Is.EqualTo(fromSpan.Select(t => (t.ThreadId, t.State.Area.ToArray().Length, t.State.GetComponent(XFeatures.Avx)[24]))));
        Assert.That(Assert.Throws<InvalidXSaveImageException>(() => LinuxCoreFile.ReadThreads(new System.IO.MemoryStream(core[..100])))!.Message, Does.Contain("past the end"));
    }

    private static byte[] FxSaveImage(uint mxcsr, ushort fcw, ulong xmm3Low)
    {
        byte[] image = new byte[LegacyRegion.Size];
        BitConverter.TryWriteBytes(image.AsSpan(0), fcw);
        BitConverter.TryWriteBytes(image.AsSpan(24), mxcsr);
        BitConverter.TryWriteBytes(image.AsSpan(28), 0xFFFFu); // MXCSR_MASK
        BitConverter.TryWriteBytes(image.AsSpan(160 + (3 * 16)), xmm3Low);
        return image;
    }

    [Test]
    public void A_thread_with_only_NT_PRFPREG_is_read_as_legacy_only_with_its_id_and_signal()
    {
        byte[] core = new CoreBuilder().LegacyThread(4242, FxSaveImage(0x5FA0, 0x027F, 0x1234), signal: 3).Build();
        var thread = LinuxCoreFile.ReadThreads(core).Single();
        Assert.Multiple(() =>
        {
            Assert.That(thread.ThreadId, Is.EqualTo(4242));
            Assert.That(thread.Signal, Is.EqualTo(3));
            Assert.That(thread.IsLegacyOnly, Is.True);
            Assert.That(thread.State.Format, Is.EqualTo(XSaveImageFormat.FxSave));
            Assert.That((uint)thread.State.Area.Legacy.Mxcsr, Is.EqualTo(0x5FA0));
            Assert.That((ushort)thread.State.Area.Legacy.Fcw, Is.EqualTo(0x027F));
            Assert.That(thread.State.Area.Legacy.Xmm[3].Low, Is.EqualTo(0x1234UL));
        });
    }

    [Test]
    public void Where_both_notes_exist_NT_X86_XSTATE_wins_and_NT_PRFPREG_is_kept_beside_it()
    {
        byte[] xstate = CoreBuilder.XStateImage(832, xcr0: 0x7, xstateBv: 0x7);
        BitConverter.TryWriteBytes(xstate.AsSpan(24), 0x7F80u);
        byte[] core = new CoreBuilder().Thread(9, xstate).Note("CORE", 2, FxSaveImage(0x1F80, 0x037F, 0)).Build();
        var thread = LinuxCoreFile.ReadThreads(core).Single();
        Assert.Multiple(() =>
        {
            Assert.That(thread.IsLegacyOnly, Is.False);
            Assert.That((uint)thread.State.Area.Legacy.Mxcsr, Is.EqualTo(0x7F80), "from NT_X86_XSTATE");
            Assert.That(thread.LegacyNote, Is.Not.Null.And.Length.EqualTo(512));
        });
    }

    [Test]
    public void A_core_without_thread_state_says_which_notes_it_holds_and_what_was_needed()
    {
        byte[] core = new CoreBuilder().Status(1).Status(2).Note("CORE", 6, new byte[16]).Build();
        var ex = Assert.Throws<InvalidXSaveImageException>(() => LinuxCoreFile.ReadThreads(core));
        Assert.That(ex!.Message, Does.Contain("NT_PRSTATUS ×2").And.Contain("NT_AUXV ×1").And.Contain("NT_X86_XSTATE").And.Contain("NT_PRFPREG"));
    }

    [Test]
    public void A_forward_only_stream_reads_like_a_file_and_a_part_behind_it_is_refused()
    {
        byte[] image = CoreBuilder.XStateImage(832, xcr0: 0x7, xstateBv: 0x7);
        byte[] core = new CoreBuilder().Thread(7, image).Thread(8, image).Build();
        var forward = LinuxCoreFile.ReadThreads(new ForwardOnlyStream(core));
        Assert.That(forward.Select(t => t.ThreadId), Is.EqualTo(new[] { 7, 8 }));
        Assert.That(Assert.Throws<InvalidXSaveImageException>(() => LinuxCoreFile.ReadThreads(new ForwardOnlyStream(core[..150])))!.Message, Does.Contain("past the end of the stream"));
    }

    [TestCase(new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0, 0 }, "Zstd", "zstd -dc")]
    [TestCase(new byte[] { 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00 }, "Xz", "xz -dc")]
    [TestCase(new byte[] { 0x04, 0x22, 0x4D, 0x18, 0, 0 }, "Lz4", "lz4 -dc")]
    [TestCase(new byte[] { 0x1F, 0x8B, 8, 0, 0, 0 }, "Gzip", "gzip -dc")]
    public void A_compressed_core_is_named_with_the_command_that_decompresses_it(byte[] magic, string name, string command)
    {
        byte[] data = new byte[100];
        magic.CopyTo(data, 0);
        var ex = Assert.Throws<InvalidXSaveImageException>(() => LinuxCoreFile.ReadThreads(new System.IO.MemoryStream(data)));
        Assert.That(ex!.Message, Does.Contain($"{name}-compressed").And.Contain(command));
    }

    // A pipe: reads only, never seeks, never tells its length.
    private sealed class ForwardOnlyStream(byte[] bytes) : System.IO.Stream
    {
        private readonly System.IO.MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7)); // short reads, as pipes give

        public override void Flush()
        {
        }

        public override long Seek(long offset, System.IO.SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
