using System;
using System.Runtime.InteropServices;
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

    internal static void Copy512(byte* from, byte* to, int length)
    {
        const int Width = 64;
        Vector512.Load(from).Store(to);
        for (nint i = Width - ((nint)to & (Width - 1)); i <= length - Width; i += Width)
        {
            Vector512.Load(from + i).StoreAligned(to + i);
        }

        Vector512.Load(from + length - Width).Store(to + length - Width);
    }

    internal static void Copy256(byte* from, byte* to, int length)
    {
        const int Width = 32;
        Vector256.Load(from).Store(to);
        for (nint i = Width - ((nint)to & (Width - 1)); i <= length - Width; i += Width)
        {
            Vector256.Load(from + i).StoreAligned(to + i);
        }

        Vector256.Load(from + length - Width).Store(to + length - Width);
    }

    internal static void Copy128(byte* from, byte* to, int length)
    {
        const int Width = 16;
        Vector128.Load(from).Store(to);
        for (nint i = Width - ((nint)to & (Width - 1)); i <= length - Width; i += Width)
        {
            Vector128.Load(from + i).StoreAligned(to + i);
        }

        Vector128.Load(from + length - Width).Store(to + length - Width);
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
