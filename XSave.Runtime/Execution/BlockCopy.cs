using System.Runtime.Intrinsics;

namespace XSave;

// The copies of a misaligned area's bounce. An area a few bytes off a cache line makes every
// store of a plain wide copy straddle two lines, which costs about twice an aligned store; the
// copy is mostly stores. So the vectors are stored where the destination is aligned to their
// width, the first and last one unaligned (overlapping the aligned run: the same bytes twice).
// Where managed vectors are narrower than 64 bytes (NativeAOT's default instruction set has
// 16, x86-64-v3 32; CPUs without AVX-512), longer blocks go to the C library's memmove, which
// uses the widest the CPU has: a 1.6 KB copy took half the time of 16-byte moves, and 32-byte
// managed copies measured slower than memmove too (docs/benchmarks.md).
internal static unsafe class BlockCopy
{
    // Below this, the call costs more than managed moves save (at 512 bytes, 16-byte moves took 9.3 ns, memmove 4.6).
    private const int NativeFrom = 256;

    // memmove from the process's global symbols, looked up on first use (0: not yet; -1: none).
    private static nint s_memmove;

    /// <summary>Copies <paramref name="length"/> bytes between buffers that do not overlap.</summary>
    public static void Copy(byte* from, byte* to, int length)
    {
        if (Vector512.IsHardwareAccelerated && length >= Vector512<byte>.Count)
        {
            Copy512(from, to, length);
        }
        else if (length >= NativeFrom && Memmove is var memmove and not -1)
        {
            ((delegate* unmanaged[SuppressGCTransition]<byte*, byte*, nuint, byte*>)memmove)(to, from, (nuint)length);
        }
        else if (Vector256.IsHardwareAccelerated && length >= Vector256<byte>.Count)
        {
            Copy256(from, to, length);
        }
        else if (length >= Vector128<byte>.Count)
        {
            Copy128(from, to, length);
        }
        else
        {
            CopySmall(from, to, length);
        }
    }

    private static nint Memmove => s_memmove != 0 ? s_memmove : ResolveMemmove();

    // Racing threads find the same address. Windows keeps the managed copy: its C runtime is not
    // in the process's global symbols.
    private static nint ResolveMemmove() =>
        s_memmove = !OperatingSystem.IsWindows() && NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "memmove", out nint address)
            ? address
            : -1;

    internal static void Copy512(byte* from, byte* to, int length) => CopyStoringAligned(from, to, length, 64);

    internal static void Copy256(byte* from, byte* to, int length) => CopyStoringAligned(from, to, length, 32);

    internal static void Copy128(byte* from, byte* to, int length) => CopyStoringAligned(from, to, length, 16);

    // One loop for every width: `width` is a constant wherever this is inlined, so Move's switch folds away.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyStoringAligned(byte* from, byte* to, int length, int width)
    {
        Move(from, to, width, aligned: false);
        for (nint i = width - ((nint)to & (width - 1)); i <= length - width; i += width)
        {
            Move(from + i, to + i, width, aligned: true);
        }

        Move(from + length - width, to + length - width, width, aligned: false);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Move(byte* from, byte* to, int width, bool aligned)
    {
        switch (width, aligned)
        {
            case (64, true): Vector512.Load(from).StoreAligned(to); break;
            case (64, false): Vector512.Load(from).Store(to); break;
            case (32, true): Vector256.Load(from).StoreAligned(to); break;
            case (32, false): Vector256.Load(from).Store(to); break;
            case (_, true): Vector128.Load(from).StoreAligned(to); break;
            default: Vector128.Load(from).Store(to); break;
        }
    }

    // Slots this short are PKRU's 8 bytes; any length works.
    private static void CopySmall(byte* from, byte* to, int length)
    {
        int i = 0;
        for (; i <= length - sizeof(ulong); i += sizeof(ulong))
        {
            *(ulong*)(to + i) = *(ulong*)(from + i);
        }

        for (; i < length; i++)
        {
            to[i] = from[i];
        }
    }
}
