namespace XSave.Tests.Components;

/// <summary>
/// The bounce's copies store at the destination's alignment, with overlapping first and last
/// vectors, and hand long blocks to memmove where managed vectors are narrow: every length and
/// offset must copy exactly its bytes and touch nothing around them. Runs on any architecture.
/// </summary>
public class BlockCopyTests
{
    private static readonly int[] Lengths = [.. Enumerable.Range(0, 80), 127, 128, 129, 255, 256, 257, 448, 512, 1024, 1600, 2432, 4095];

    private unsafe delegate void Copy(byte* from, byte* to, int length);

    [TestCaseSource(nameof(Lengths))]
    public unsafe void Copies_exactly_its_bytes_at_every_misalignment(int length) => CopiesExactly(BlockCopy.Copy, length);

    /// <summary>Each width's loop on its own, whichever this machine's copy picks (Windows takes the managed ones for long blocks too; software vectors where the hardware has none).</summary>
    [TestCase(64)]
    [TestCase(32)]
    [TestCase(16)]
    public unsafe void Each_width_copies_exactly_its_bytes(int width)
    {
        Copy copy = width switch { 64 => BlockCopy.Copy512, 32 => BlockCopy.Copy256, _ => BlockCopy.Copy128 };
        foreach (int length in Lengths.Where(l => l >= width))
        {
            CopiesExactly(copy, length);
        }
    }

    private static unsafe void CopiesExactly(Copy copy, int length)
    {
        byte[] source = new byte[length + 64], destination = new byte[length + 256];
        new Random(length).NextBytes(source);
        var failures = new System.Collections.Generic.List<string>();
        fixed (byte* from = source, to = destination)
        {
            for (int misaligned = 0; misaligned < 64; misaligned += length < 80 ? 1 : 7)
            {
                destination.AsSpan().Fill(0xEE);
                int lineStart = 64 + (int)((64 - ((nint)to & 63)) & 63); // a 64-byte boundary with bytes before it
                int at = lineStart + misaligned;
                int sourceAt = 3; // the source misaligned too, as the caller's area is on a restore
                copy(from + sourceAt, to + at, length);
                if (!destination.AsSpan(at, length).SequenceEqual(source.AsSpan(sourceAt, length)))
                {
                    failures.Add($"destination {at} ({(nint)(to + at) & 63} past a line): bytes differ");
                }

                if (destination[..at].Any(b => b != 0xEE) || destination[(at + length)..].Any(b => b != 0xEE))
                {
                    failures.Add($"destination {at}: a byte outside the copy changed");
                }
            }
        }

        Assert.That(failures, Is.Empty, $"length {length}");
    }
}
