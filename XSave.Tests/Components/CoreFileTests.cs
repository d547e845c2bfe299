using System;
using System.Linq;
using NUnit.Framework;

namespace XSave.Tests.Components;

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
}
