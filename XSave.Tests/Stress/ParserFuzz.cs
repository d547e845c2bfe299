using System;

namespace XSave.Stress;

/// <summary>
/// Hands truncated, oversized and scrambled byte images to <see cref="XSaveImage.Parse"/>: each
/// must be read (and then every view and conversion works or refuses clearly) or rejected with
/// <see cref="InvalidXSaveImageException"/> naming a field. Anything else is a bug.
/// </summary>
internal static class ParserFuzz
{
    public static string Run(long seed, long index, in XSaveArea area)
    {
        var random = new Random(CaseSeed.Of(seed, index, stream: 1));
        ReadOnlySpan<byte> page = area.AsReadOnlySpan();
        if (random.Next(4) == 0)
        {
            return CoreFile(random, page);
        }

        byte[] image = random.Next(3) switch
        {
            0 => page[..random.Next(page.Length + 1)].ToArray(),           // truncated
            1 => [.. page, .. RandomBytes(random, random.Next(12_000))],   // oversized (AMX-sized tails)
            _ => RandomBytes(random, random.Next(3) == 0 ? 512 : random.Next(6000)),
        };

        try
        {
            XSaveImage parsed = XSaveImage.Parse(image);
            for (int i = 2; i < StateComponent.Count; i++)
            {
                if (XSaveLayout.ArchitecturalSize(i) is > 0 and <= 1024)
                {
                    _ = parsed.GetComponent((XFeatures)(1UL << i)).Length;
                }
            }

            try
            {
                _ = parsed.ToStandard(XSaveLayout.Current);
            }
            catch (InvalidXSaveImageException)
            {
                // a component this CPU has no slot for: refused clearly
            }

            return "ok";
        }
        catch (InvalidXSaveImageException rejected) when (rejected.Field.Length > 0 && rejected.Message.Length > 0)
        {
            return "rejected:" + rejected.Field.Replace(' ', '_');
        }
        catch (Exception unexpected)
        {
            return $"BUG {unexpected.GetType().Name}: {unexpected.Message}";
        }
    }

    // A core-file shell around the case: a valid ELF header, then random program headers and
    // notes, some of them a real NT_X86_XSTATE note holding the case.
    private static string CoreFile(Random random, ReadOnlySpan<byte> page)
    {
        byte[] core = RandomBytes(random, 64 + random.Next(64 + (2 * page.Length)));
        "\u007FELF"u8.CopyTo(core);
        core[4] = 2;
        core[5] = 1;
        core[16] = 4;
        core[17] = 0;
        if (random.Next(2) == 0 && core.Length >= 64 + 56 + 12 + 8 + page.Length)
        {
            BitConverter.TryWriteBytes(core.AsSpan(32), 64UL);          // e_phoff
            BitConverter.TryWriteBytes(core.AsSpan(54), (ushort)56);    // e_phentsize
            BitConverter.TryWriteBytes(core.AsSpan(56), (ushort)1);     // e_phnum
            BitConverter.TryWriteBytes(core.AsSpan(64), 4u);            // PT_NOTE
            BitConverter.TryWriteBytes(core.AsSpan(64 + 8), 120UL);     // p_offset
            BitConverter.TryWriteBytes(core.AsSpan(64 + 32), (ulong)(12 + 8 + random.Next(page.Length + 100))); // p_filesz, maybe short
            BitConverter.TryWriteBytes(core.AsSpan(120), 5u);
            BitConverter.TryWriteBytes(core.AsSpan(124), (uint)page.Length);
            BitConverter.TryWriteBytes(core.AsSpan(128), 0x202u);
            "LINUX\0\0\0"u8.CopyTo(core.AsSpan(132));
            page.CopyTo(core.AsSpan(140));
        }

        try
        {
            return $"ok-core:{LinuxCoreFile.ReadThreads(core).Count}";
        }
        catch (InvalidXSaveImageException rejected) when (rejected.Field.Length > 0)
        {
            return "rejected-core:" + rejected.Field.Replace(' ', '_');
        }
        catch (Exception unexpected)
        {
            return $"BUG core {unexpected.GetType().Name}: {unexpected.Message}";
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
