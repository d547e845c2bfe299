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
    /// MXCSR against the CPU's MXCSR_MASK and refusing unmasked SSE or x87 exceptions and x87
    /// registers in use (<see cref="RestoreRule"/>). The region is copied to private memory first,
    /// and the copy is checked and restored, so another thread's writes cannot change what was
    /// accepted. Zero FCW/MXCSR beside a zero MXCSR_MASK (a region no save wrote) load as their
    /// init values, as in <see cref="XSaveArea.Load()"/>.
    /// </summary>
    /// <exception cref="InvalidXSaveAreaException">The region breaks a restore rule; nothing was loaded.</exception>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64.</exception>
    public readonly void Load() => Load(RestoreHazards.None);

    /// <summary><see cref="Load()"/>, accepting the hazards named in <paramref name="allowed"/>; MXCSR's reserved bits are still checked.</summary>
    /// <param name="allowed">The hazards the caller accepts.</param>
    /// <exception cref="InvalidXSaveAreaException">The region breaks a restore rule; nothing was loaded.</exception>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64.</exception>
    public readonly void Load(RestoreHazards allowed)
    {
        Processor.ThrowIfNotX64();
        fixed (LegacyRegion* region = &Unsafe.AsRef(in this))
        {
            LoadBounced(region, Processor.LegacyMxcsrMask, allowed); // FXRSTOR needs x86-64, not XSAVE
        }
    }

    // A copy with unset control words filled in is checked and restored: the checks judge what
    // FXRSTOR loads, another thread's writes to the caller's region cannot change it in between,
    // and the caller's bytes are never touched.
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
