using System;
using System.Runtime.CompilerServices;

namespace XSave;

// FXSAVE64/FXRSTOR64 on the live CPU: the x87 and SSE state alone, no XSAVE needed.
public unsafe partial struct LegacyRegion
{
    /// <summary>The alignment FXSAVE and FXRSTOR require (Intel SDM vol. 2A, FXSAVE).</summary>
    public const int Alignment = 16;

    /// <summary>Saves this thread's x87 and SSE state into the region with FXSAVE64. Bytes 464–511 are kept.</summary>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Save()
    {
        Processor.ThrowIfNotX64();
        fixed (LegacyRegion* region = &this)
        {
            if (IsAligned(region))
            {
                Instructions.FxSave64(region);
            }
            else
            {
                SaveBounced(region);
            }
        }
    }

    // FXSAVE faults on a misaligned region: bounce through aligned stack memory, out of line so
    // that Save and Load stay small enough to inline.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SaveBounced(LegacyRegion* region)
    {
        LegacyRegion* scratch = AlignedScratch(stackalloc byte[Size + Alignment]);
        *scratch = *region;
        Instructions.FxSave64(scratch);
        *region = *scratch;
    }

    /// <summary>
    /// Restores this thread's x87 and SSE state from the region with FXRSTOR64, after checking
    /// MXCSR against the CPU's MXCSR_MASK. Zero FCW/MXCSR beside a zero MXCSR_MASK (a region no
    /// save wrote) load as their init values, as in <see cref="XSaveArea.Load"/>.
    /// </summary>
    /// <exception cref="InvalidXSaveAreaException">MXCSR sets a bit this CPU reserves; nothing was loaded.</exception>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Load()
    {
        Processor.ThrowIfNotX64();
        uint mxcsrMask = Processor.MxcsrMask;
        fixed (LegacyRegion* region = &Unsafe.AsRef(in this))
        {
            if ((region->_mxcsr & ~mxcsrMask) != 0)
            {
                RestoreValidation.ThrowIfMxcsrInvalid(in *region, mxcsrMask); // out of line: it builds the message
            }

            if (IsAligned(region) && !region->HasUnsetControlWords)
            {
                Instructions.FxRstor64(region);
                return;
            }

            LoadBounced(region);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LoadBounced(LegacyRegion* region)
    {
        LegacyRegion* scratch = AlignedScratch(stackalloc byte[Size + Alignment]);
        *scratch = *region;
        scratch->ApplyInitControlWords();
        Instructions.FxRstor64(scratch);
    }

    internal static bool IsAligned(void* region) => ((nuint)region & (Alignment - 1)) == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static LegacyRegion* AlignedScratch(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            return (LegacyRegion*)(((nuint)start + (Alignment - 1)) & ~(nuint)(Alignment - 1));
        }
    }
}
