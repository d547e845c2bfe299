using System;
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
}
