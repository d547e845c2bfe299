using System.Runtime.Intrinsics;

namespace XSave;

/// <summary>
/// A <see cref="CpuProfile"/> in the shape the restore fast path reads: what restores are checked
/// against, as masks (<see cref="Processor.Snapshot"/> is the running CPU's).
/// </summary>
internal struct CpuSnapshot
{
    public ulong Xcr0;
    public uint MxcsrMask;
    public DescriptorWords Descriptor;

    /// <summary>Bits of header bytes 0–15 a restore must not see set: XSTATE_BV outside XCR0, any of XCOMP_BV.</summary>
    public Vector128<ulong> RestoreHeaderRejects;

    /// <summary>FCW's exception masks in legacy bytes 0–15: each must be set.</summary>
    public Vector128<ulong> FcwMasks;

    /// <summary>Bits of legacy bytes 0–15 a restore must not see differ from <see cref="FcwMasks"/>: the masks, and the abridged FTW (an empty x87 stack).</summary>
    public Vector128<ulong> X87Rejects;

    /// <summary>MXCSR's exception masks in legacy bytes 16–31: each must be set.</summary>
    public Vector128<uint> MxcsrMasks;

    /// <summary>Bits of legacy bytes 16–31 a restore must not see differ from <see cref="MxcsrMasks"/>: the masks, and MXCSR bits outside MXCSR_MASK.</summary>
    public Vector128<uint> MxcsrRejects;

    /// <summary>The 16 bytes of a standard-format area holding PKRU, and the bits of them that lock key 0 (none where PKRU is not enabled).</summary>
    public int PkruLane;
    public Vector128<ulong> PkruRejects;

    public static CpuSnapshot Create(CpuProfile cpu)
    {
        ulong xcr0 = (ulong)cpu.Xcr0;
        var snapshot = new CpuSnapshot
        {
            Xcr0 = xcr0,
            MxcsrMask = cpu.MxcsrMask,
            RestoreHeaderRejects = Vector128.Create(~xcr0, ulong.MaxValue),
            FcwMasks = Vector128.Create((ulong)X87ControlWord.AllExceptionMasks, 0),
            X87Rejects = Vector128.Create((ulong)X87ControlWord.AllExceptionMasks | (0xFFUL << (LegacyRegion.AbridgedFtwOffset * 8)), 0),
            MxcsrMasks = Vector128.Create(0, 0, (uint)Mxcsr.AllExceptionMasks, 0),
            MxcsrRejects = Vector128.Create(0, 0, ~cpu.MxcsrMask | (uint)Mxcsr.AllExceptionMasks, 0),
        };
        if (cpu.Layout?.Slot(XFeatures.Pkru) is { } pkru && (xcr0 & (ulong)XFeatures.Pkru) != 0)
        {
            // The 16 bytes holding PKRU, kept inside the page; a PKRU that is not 4-aligned
            // there (no CPU seen) sends every area to the full validator.
            snapshot.PkruLane = Math.Min(pkru.Offset & ~15, XSaveArea.Size - 16);
            int dword = (pkru.Offset - snapshot.PkruLane) / 4;
            snapshot.PkruRejects = pkru.Offset % 4 == 0
                ? Vector128.Create(0u, 0u, 0u, 0u).WithElement(dword, RestoreChecks.KeyZeroBits).AsUInt64()
                : Vector128<ulong>.AllBitsSet;
        }

        cpu.Descriptor.CopyTo(MemoryMarshal.AsBytes((Span<ulong>)snapshot.Descriptor));
        return snapshot;
    }
}

/// <summary>The 48-byte layout descriptor as six words, the shape the fast path compares.</summary>
[InlineArray(LayoutDescriptor.Length / sizeof(ulong))]
internal struct DescriptorWords
{
    private ulong _word;
}
