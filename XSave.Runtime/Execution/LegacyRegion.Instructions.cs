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
    /// MXCSR against the CPU's MXCSR_MASK and refusing unmasked SSE or x87 exceptions
    /// (<see cref="RestoreRule"/>). Zero FCW/MXCSR beside a zero MXCSR_MASK (a region no save
    /// wrote) load as their init values, as in <see cref="XSaveArea.Load()"/>.
    /// </summary>
    /// <exception cref="InvalidXSaveAreaException">The region breaks a restore rule; nothing was loaded.</exception>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Load()
    {
        Processor.ThrowIfNotX64();
        uint mxcsrMask = Processor.MxcsrMask;
        fixed (LegacyRegion* region = &Unsafe.AsRef(in this))
        {
            // One test for the common case: MXCSR within the CPU's mask, every exception masked.
            uint mxcsr = region->_mxcsr, fcw = region->_fcw;
            bool safe = ((mxcsr & ~mxcsrMask) | (~mxcsr & (uint)Mxcsr.AllExceptionMasks) | (~fcw & (uint)X87ControlWord.AllExceptionMasks)) == 0;
            if (safe && IsAligned(region))
            {
                Instructions.FxRstor64(region);
                return;
            }

            LoadBounced(region, mxcsrMask, RestoreHazards.None);
        }
    }

    /// <summary><see cref="Load()"/>, accepting the hazards named in <paramref name="allowed"/>; MXCSR's reserved bits are still checked.</summary>
    /// <param name="allowed">The hazards the caller accepts.</param>
    /// <exception cref="InvalidXSaveAreaException">The region breaks a restore rule; nothing was loaded.</exception>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64.</exception>
    public readonly void Load(RestoreHazards allowed)
    {
        Processor.ThrowIfNotX64();
        fixed (LegacyRegion* region = &Unsafe.AsRef(in this))
        {
            LoadBounced(region, Processor.MxcsrMask, allowed);
        }
    }

    // Everything but the direct path: a copy with unset control words filled in is checked and
    // restored, so the checks judge what FXRSTOR loads and the caller's bytes are never touched.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LoadBounced(LegacyRegion* region, uint mxcsrMask, RestoreHazards allowed)
    {
        LegacyRegion* scratch = AlignedScratch(stackalloc byte[Size + Alignment]);
        *scratch = *region;
        scratch->ApplyInitControlWords();
        RestoreValidation.ThrowIfInvalid(in *scratch, mxcsrMask, allowed);
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
