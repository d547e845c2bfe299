namespace XSave.Generators.Helpers;

/// <summary>How thunks share one page in both forms: 16-byte-aligned slots, padded with int3.</summary>
internal static class ThunkSlots
{
    public const int Alignment = 16;
    public const byte Int3 = 0xCC;

    /// <summary><paramref name="size"/> rounded up to whole slots.</summary>
    public static int Round(int size) => (size + Alignment - 1) / Alignment * Alignment;

    /// <summary>Each thunk gets a 16-byte-aligned slot at the same offset in both images.</summary>
    public static int[] Layout(ImmutableArray<AssembledThunk> thunks, out int length)
    {
        int[] offsets = new int[thunks.Length];
        length = 0;
        for (int i = 0; i < thunks.Length; i++)
        {
            offsets[i] = length;
            int size = System.Math.Max(thunks[i].SystemV.Count, thunks[i].Windows.Count);
            length += Round(size);
        }

        return offsets;
    }

    /// <summary><paramref name="bytes"/> in rows of <paramref name="width"/>.</summary>
    public static IEnumerable<IEnumerable<byte>> Rows(IEnumerable<byte> bytes, int width)
    {
        byte[] all = bytes.ToArray();
        for (int i = 0; i < all.Length; i += width)
        {
            yield return all.Skip(i).Take(width);
        }
    }
}
