using System;

namespace XSave;

/// <summary>
/// The checks that stand between a caller's bytes and XRSTOR/FXRSTOR. They are pure functions of
/// the area and of what the CPU allows, so they run (and are tested) on any architecture. The
/// rules are those of Intel SDM vol. 1 §13.8.1 and §13.8.2, as re-checked on this project's
/// machines (docs/xrstor-faults.md).
/// </summary>
public static class RestoreValidation
{
    private const string NotLoaded = " Nothing was loaded.";

    /// <summary>
    /// Throws <see cref="InvalidXSaveAreaException"/> if XRSTOR of <paramref name="area"/> with
    /// <paramref name="mask"/> would fault on a CPU with the given XCR0, MXCSR_MASK and XSAVEC support.
    /// </summary>
    /// <param name="area">The area about to be restored.</param>
    /// <param name="mask">The requested-feature mask (EDX:EAX) of the restore.</param>
    /// <param name="xcr0">The CPU's XCR0.</param>
    /// <param name="mxcsrMask">The CPU's MXCSR_MASK.</param>
    /// <param name="compactedSupported">Whether the CPU has XSAVEC (and so XRSTOR of the compacted format).</param>
    /// <param name="cpuLayout">The CPU's standard layout; when given, an area recording a different layout for a component it restores is rejected.</param>
    public static void ThrowIfInvalid(in XSaveArea area, XFeatures mask, XFeatures xcr0, uint mxcsrMask, bool compactedSupported, XSaveLayout? cpuLayout = null)
    {
        Span<byte> descriptor = stackalloc byte[LayoutDescriptor.Length];
        if (cpuLayout is null)
        {
            descriptor = [];
        }
        else
        {
            LayoutDescriptor.Write(cpuLayout, descriptor);
        }

        ThrowIfInvalid(in area, mask, xcr0, mxcsrMask, compactedSupported, descriptor);
    }

    /// <summary>The hot-path form: the CPU's layout as its precomputed descriptor bytes (empty: not checked).</summary>
    internal static void ThrowIfInvalid(in XSaveArea area, XFeatures mask, XFeatures xcr0, uint mxcsrMask, bool compactedSupported, ReadOnlySpan<byte> cpuDescriptor)
    {
        ref readonly XSaveHeader header = ref area.ReadOnlyHeader;
        XFeatures xstateBv = header.XStateBv;
        if ((xstateBv & ~xcr0) != 0)
        {
            throw Fail(RestoreRule.XStateBvOutsideXcr0, "XSTATE_BV", (ulong)xstateBv,
                $"XSTATE_BV = 0x{(ulong)xstateBv:X} names component bit(s) 0x{(ulong)(xstateBv & ~xcr0):X} that are not enabled in XCR0 = 0x{(ulong)xcr0:X}; XRSTOR would raise #GP.");
        }

        ulong xcompBv = header.XCompBv;
        if (!header.IsCompacted)
        {
            if (xcompBv != 0)
            {
                throw Fail(RestoreRule.XCompBvInStandardFormat, "XCOMP_BV", xcompBv,
                    $"XCOMP_BV = 0x{xcompBv:X} must be 0 in the standard format (bit 63 clear); XRSTOR would raise #GP.");
            }
        }
        else
        {
            XFeatures laidOut = header.CompactedFeatures;
            if (!compactedSupported)
            {
                throw Fail(RestoreRule.CompactedFormatUnsupported, "XCOMP_BV", xcompBv,
                    $"XCOMP_BV = 0x{xcompBv:X} marks the compacted format, which this CPU cannot restore (no XSAVEC); XRSTOR would raise #GP.");
            }

            if ((laidOut & ~xcr0) != 0)
            {
                throw Fail(RestoreRule.XCompBvOutsideXcr0, "XCOMP_BV", xcompBv,
                    $"XCOMP_BV = 0x{xcompBv:X} names component bit(s) 0x{(ulong)(laidOut & ~xcr0):X} that are not enabled in XCR0 = 0x{(ulong)xcr0:X}; XRSTOR would raise #GP.");
            }

            if ((xstateBv & ~laidOut) != 0)
            {
                throw Fail(RestoreRule.XStateBvOutsideXCompBv, "XSTATE_BV", (ulong)xstateBv,
                    $"XSTATE_BV = 0x{(ulong)xstateBv:X} names bit(s) 0x{(ulong)(xstateBv & ~laidOut):X} missing from XCOMP_BV = 0x{xcompBv:X}; a compacted XRSTOR would raise #GP.");
            }

            if ((laidOut & ~XSaveArea.SafeFeatures) != 0)
            {
                throw Fail(RestoreRule.XCompBvOutsidePage, "XCOMP_BV", xcompBv,
                    $"XCOMP_BV = 0x{xcompBv:X} lays out component bit(s) 0x{(ulong)(laidOut & ~XSaveArea.SafeFeatures):X} outside XSaveArea.SafeFeatures; their slots would push the restore past the 4096-byte page.");
            }
        }

        int reserved = header.FirstNonZeroReservedByte();
        if (reserved >= 0)
        {
            byte value = area.ByteAt(reserved);
            throw Fail(RestoreRule.HeaderReservedBytes, $"XSAVE header byte {reserved - XSaveArea.HeaderOffset}", value,
                $"XSAVE header byte {reserved - XSaveArea.HeaderOffset} (area byte {reserved}) is 0x{value:X2}; header bytes 16–63 are reserved and must be 0, or XRSTOR raises #GP.");
        }

        if (!header.IsCompacted && !cpuDescriptor.IsEmpty)
        {
            ThrowIfLayoutDiffers(in area, xstateBv & mask & xcr0, cpuDescriptor);
        }

        // XRSTOR loads MXCSR whenever the mask requests SSE or AVX (SDM vol. 1 §13.8.1).
        if ((mask & xcr0 & (XFeatures.Sse | XFeatures.Avx)) != 0)
        {
            ThrowIfMxcsrInvalid(in area.ReadOnlyLegacy, mxcsrMask);
        }
    }

    /// <summary>Throws if FXRSTOR (or XRSTOR) would fault on MXCSR: a bit set outside <paramref name="mxcsrMask"/>.</summary>
    /// <param name="region">The legacy region about to be restored.</param>
    /// <param name="mxcsrMask">The running CPU's MXCSR_MASK (the region's own field is ignored, as the CPU ignores it).</param>
    public static void ThrowIfMxcsrInvalid(in LegacyRegion region, uint mxcsrMask)
    {
        uint mxcsr = (uint)region.Mxcsr;
        if ((mxcsr & ~mxcsrMask) != 0)
        {
            throw Fail(RestoreRule.MxcsrReservedBits, "MXCSR", mxcsr,
                $"MXCSR = 0x{mxcsr:X8} sets bit(s) 0x{mxcsr & ~mxcsrMask:X} outside this CPU's MXCSR_MASK = 0x{mxcsrMask:X8}; the restore would raise #GP.");
        }
    }

    private static void ThrowIfLayoutDiffers(in XSaveArea area, XFeatures restored, ReadOnlySpan<byte> cpuDescriptor)
    {
        ReadOnlySpan<byte> recorded = area.AsReadOnlySpan().Slice(LayoutDescriptor.Offset, LayoutDescriptor.Length);
        if (recorded.SequenceEqual(cpuDescriptor) || LayoutDescriptor.Read(recorded) is not { } areaLayout)
        {
            return; // saved here, or no layout recorded (the CPU's own is assumed, as XRSTOR does)
        }

        XSaveLayout cpuLayout = LayoutDescriptor.Read(cpuDescriptor)!;
        for (int i = 2; i < XSaveLayout.ComponentCount; i++)
        {
            if (((ulong)restored & (1UL << i)) != 0 && areaLayout.Slot(i)?.Offset != cpuLayout.Slot(i)?.Offset)
            {
                throw Fail(RestoreRule.LayoutMismatch, "layout descriptor", (ulong)i,
                    $"The layout descriptor (bytes 464–511) places component {i} at {areaLayout.Slot(i)?.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no slot"}, but this CPU puts it at {cpuLayout.Slot(i)?.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no slot"}: the area was saved on another kind of CPU. Convert it with XSaveImage.Parse(bytes).ToStandard().");
            }
        }
    }

    private static InvalidXSaveAreaException Fail(RestoreRule rule, string field, ulong value, string message) =>
        new(rule, field, value, message + NotLoaded);
}
