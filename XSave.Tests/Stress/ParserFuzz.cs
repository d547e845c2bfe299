using System;
using XSave.Diagnostics;

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
        switch (random.Next(8))
        {
            case 0 or 1:
                return CoreFile(random, page);
            case 2 or 3:
                return Minidump(random, page);
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
            foreach (StateComponent component in StateComponent.All)
            {
                if (component.HasView)
                {
                    _ = parsed.GetComponent(component.Feature).Length;
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

    // A minidump around the case: header, directory (thread list, system info, MiscInfo5), one
    // x64 CONTEXT whose FltSave is the case's legacy region and, half the time, a CONTEXT_EX and
    // the case's header and components as its XSTATE; then a few bytes changed and perhaps a cut.
    private static string Minidump(Random random, ReadOnlySpan<byte> page)
    {
        bool xstate = random.Next(2) == 0;
        int chunk = xstate ? 64 + random.Next(page.Length - 512 - 64 + 1) : 0;
        int gap = random.Next(4) * 8;
        int context = 1232 + (xstate ? 24 + gap + chunk : 0);
        const int directory = 32, list = directory + 36, system = list + 52, misc = system + 56, contextRva = misc + 1364;
        byte[] dump = new byte[contextRva + context];
        "MDMP"u8.CopyTo(dump);
        BitConverter.TryWriteBytes(dump.AsSpan(8), 3u);
        BitConverter.TryWriteBytes(dump.AsSpan(12), (uint)directory);
        (uint Type, int Size, int Rva)[] streams = [(3, 52, list), (7, 56, system), (15, 1364, misc)];
        for (int i = 0; i < streams.Length; i++)
        {
            BitConverter.TryWriteBytes(dump.AsSpan(directory + (12 * i)), streams[i].Type);
            BitConverter.TryWriteBytes(dump.AsSpan(directory + (12 * i) + 4), (uint)streams[i].Size);
            BitConverter.TryWriteBytes(dump.AsSpan(directory + (12 * i) + 8), (uint)streams[i].Rva);
        }

        BitConverter.TryWriteBytes(dump.AsSpan(list), 1u);
        BitConverter.TryWriteBytes(dump.AsSpan(list + 4), 0x1234u);
        BitConverter.TryWriteBytes(dump.AsSpan(list + 4 + 40), (uint)context);
        BitConverter.TryWriteBytes(dump.AsSpan(list + 4 + 44), (uint)contextRva);
        BitConverter.TryWriteBytes(dump.AsSpan(system), (ushort)9);
        BitConverter.TryWriteBytes(dump.AsSpan(misc), 1364u);
        BitConverter.TryWriteBytes(dump.AsSpan(misc + 832), 528u);
        BitConverter.TryWriteBytes(dump.AsSpan(misc + 840), random.Next(2) == 0 ? 0UL : 0x2E7UL);
        BitConverter.TryWriteBytes(dump.AsSpan(misc + 848 + 16), 576u);
        BitConverter.TryWriteBytes(dump.AsSpan(misc + 848 + 20), 256u);
        BitConverter.TryWriteBytes(dump.AsSpan(contextRva + 0x30), 0x10001Fu | (xstate ? 0x40u : 0));
        page[..512].CopyTo(dump.AsSpan(contextRva + 0x100));
        if (xstate)
        {
            BitConverter.TryWriteBytes(dump.AsSpan(contextRva + 1232 + 16), 24 + gap);
            BitConverter.TryWriteBytes(dump.AsSpan(contextRva + 1232 + 20), (uint)chunk);
            page.Slice(512, chunk).CopyTo(dump.AsSpan(contextRva + 1232 + 24 + gap));
        }

        for (int changes = random.Next(6); changes > 0; changes--)
        {
            dump[random.Next(dump.Length)] = (byte)random.Next(256);
        }

        if (random.Next(4) == 0)
        {
            dump = dump[..random.Next(dump.Length)];
        }

        try
        {
            Minidump read = MinidumpFile.Read(dump);
            foreach (MinidumpThread thread in read.Threads)
            {
                try
                {
                    _ = thread.State?.ToStandard(XSaveLayout.Intel);
                }
                catch (InvalidXSaveImageException)
                {
                    // a component the target has no slot for: refused clearly
                }
            }

            return $"ok-dump:{read.Threads.Count}";
        }
        catch (InvalidXSaveImageException rejected) when (rejected.Field.Length > 0 && rejected.Message.Length > 0)
        {
            return "rejected-dump:" + rejected.Field.Replace(' ', '_');
        }
        catch (Exception unexpected)
        {
            return $"BUG dump {unexpected.GetType().Name}: {unexpected.Message}";
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
