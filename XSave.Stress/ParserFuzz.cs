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
        byte[] image = random.Next(3) switch
        {
            0 => page[..random.Next(page.Length + 1)].ToArray(),           // truncated
            1 => [.. page, .. RandomBytes(random, random.Next(12_000))],   // oversized (AMX-sized tails)
            _ => RandomBytes(random, random.Next(3) == 0 ? 512 : random.Next(6000)),
        };

        try
        {
            XSaveImage parsed = XSaveImage.Parse(image);
            for (int i = 2; i < XSaveLayout.ComponentCount; i++)
            {
                if (XSaveLayout.ArchitecturalSize(i) is > 0 and <= 1024)
                {
                    _ = parsed.Component(i).Length;
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

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
