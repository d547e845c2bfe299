using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace XSave.Tests.Validation;

/// <summary>
/// <see cref="RestoreFastPath"/> lets an area skip the full validator, so it must never pass an
/// area the validator rejects, and it should pass the areas Save writes. Checked bit by bit over
/// every byte the two read, on any architecture.
/// </summary>
public unsafe class RestoreFastPathTests
{
    private const uint CpuMxcsrMask = 0xFFFF;
    private const uint DefaultPkru = 0x55555554; // Linux's: every key but 0 access-disabled

    /// <summary>The CPUs these tests model: with and without PKRU, in two vendors' layouts.</summary>
    public static IEnumerable<TestCaseData> Cpus()
    {
        yield return new TestCaseData(XFeatures.X87 | XFeatures.Sse | XFeatures.Avx, XSaveLayout.Intel).SetArgDisplayNames("x87 SSE AVX");
        yield return new TestCaseData(XFeatures.X87 | XFeatures.Sse | XFeatures.Avx | XFeatures.Pkru, XSaveLayout.AmdZen4).SetArgDisplayNames("AMD Zen 3, PKRU at 2432");
        yield return new TestCaseData((XFeatures)0x2E7, XSaveLayout.Intel).SetArgDisplayNames("Intel AVX-512, PKRU at 2688");
    }

    private static CpuSnapshot Snapshot(XFeatures xcr0, XSaveLayout layout) =>
        CpuSnapshot.Create(Profile(xcr0, layout));

    private static CpuProfile Profile(XFeatures xcr0, XSaveLayout layout) =>
        new("modelled", xcr0, CpuMxcsrMask, leafD1Eax: 2, layout, XFeatures.None);

    /// <summary>What Save writes on such a CPU: its layout recorded, XSTATE_BV = XCR0, PKRU as Linux sets it.</summary>
    private static XSaveArea SavedArea(XFeatures xcr0, XSaveLayout layout)
    {
        XSaveArea area = XSaveArea.Initial;
        area.Legacy.MxcsrMask = (Mxcsr)CpuMxcsrMask;
        area.Header.XStateBv = xcr0;
        area.RecordLayout(layout);
        if (xcr0.HasFlag(XFeatures.Pkru))
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(area.AsSpan()[layout.Slot(XFeatures.Pkru)!.Value.Offset..], DefaultPkru);
        }

        return area;
    }

    private static bool Passes(in XSaveArea area, XFeatures xcr0, XSaveLayout layout)
    {
        using var aligned = new AlignedBuffer(XSaveArea.Size); // the fast path's precondition
        aligned.As<XSaveArea>() = area;
        CpuSnapshot cpu = Snapshot(xcr0, layout);
        return RestoreFastPath.Passes((XSaveArea*)aligned.Pointer, in cpu);
    }

    private static bool ValidatorAccepts(in XSaveArea area, XFeatures xcr0, XSaveLayout layout)
    {
        try
        {
            RestoreValidation.ThrowIfInvalid(in area, XSaveArea.SafeFeatures, Profile(xcr0, layout), RestoreHazards.None);
            return true;
        }
        catch (InvalidXSaveAreaException)
        {
            return false;
        }
    }

    [TestCaseSource(nameof(Cpus))]
    public void An_area_as_Save_writes_it_takes_the_fast_path(XFeatures xcr0, XSaveLayout layout)
    {
        XSaveArea area = SavedArea(xcr0, layout);
        Assert.Multiple(() =>
        {
            Assert.That(ValidatorAccepts(in area, xcr0, layout), Is.True);
            Assert.That(Passes(in area, xcr0, layout), Is.True);
        });
    }

    /// <summary>
    /// Load skips its unset-control-words test for areas the fast path passes (they would load
    /// FCW 0 or MXCSR 0 instead of the init values): none may pass.
    /// </summary>
    [TestCaseSource(nameof(Cpus))]
    public void No_area_with_unset_control_words_takes_the_fast_path(XFeatures xcr0, XSaveLayout layout)
    {
        XSaveArea fcwUnset = SavedArea(xcr0, layout), mxcsrUnset = SavedArea(xcr0, layout);
        fcwUnset.Legacy.MxcsrMask = 0;
        fcwUnset.Legacy.Fcw = 0;
        mxcsrUnset.Legacy.MxcsrMask = 0;
        mxcsrUnset.Legacy.Mxcsr = 0;
        Assert.Multiple(() =>
        {
            Assert.That(fcwUnset.Legacy.HasUnsetControlWords && mxcsrUnset.Legacy.HasUnsetControlWords, Is.True, "both are what Load fills in");
            Assert.That(Passes(in fcwUnset, xcr0, layout), Is.False, "FCW 0");
            Assert.That(Passes(in mxcsrUnset, xcr0, layout), Is.False, "MXCSR 0");
        });
    }

    [TestCaseSource(nameof(Cpus))]
    public void No_single_bit_flip_passes_the_fast_path_where_the_validator_rejects(XFeatures xcr0, XSaveLayout layout)
    {
        var wronglyPassed = new List<string>();
        var fastPathRejected = new List<int>();
        int validatorRejected = 0;
        foreach (int bit in FlippedBits(xcr0, layout))
        {
            XSaveArea area = SavedArea(xcr0, layout);
            area.AsSpan()[bit / 8] ^= (byte)(1 << (bit % 8));
            bool passes = Passes(in area, xcr0, layout), accepted = ValidatorAccepts(in area, xcr0, layout);
            validatorRejected += accepted ? 0 : 1;
            if (passes && !accepted)
            {
                wronglyPassed.Add($"byte {bit / 8} bit {bit % 8}");
            }

            if (!passes)
            {
                fastPathRejected.Add(bit);
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(wronglyPassed, Is.Empty, "the fast path passed areas the validator rejects");
            Assert.That(validatorRejected, Is.GreaterThan(0), "the flips reached the validator's rules");
            Assert.That(fastPathRejected, Is.EquivalentTo(ExpectedFastPathRejections(xcr0, layout)), "the fast path reads exactly the fields it checks");
        });
    }

    /// <summary>Every bit of the legacy region and header, and of PKRU where the CPU has it.</summary>
    private static IEnumerable<int> FlippedBits(XFeatures xcr0, XSaveLayout layout)
    {
        for (int bit = 0; bit < (XSaveArea.HeaderOffset + XSaveHeader.Size) * 8; bit++)
        {
            yield return bit;
        }

        if (xcr0.HasFlag(XFeatures.Pkru))
        {
            int pkru = layout.Slot(XFeatures.Pkru)!.Value.Offset * 8;
            for (int bit = pkru; bit < pkru + 32; bit++)
            {
                yield return bit;
            }
        }
    }

    /// <summary>
    /// The bits the fast path looks at: FCW's exception masks, MXCSR's exception masks and bits
    /// outside the CPU's mask, the descriptor, XSTATE_BV outside XCR0, the rest of the header,
    /// PKRU's key-0 bits.
    /// </summary>
    private static IEnumerable<int> ExpectedFastPathRejections(XFeatures xcr0, XSaveLayout layout)
    {
        for (int bit = 0; bit < 6; bit++)
        {
            yield return bit; // FCW's exception masks
        }

        for (int bit = 0; bit < 8; bit++)
        {
            yield return (LegacyRegion.AbridgedFtwOffset * 8) + bit; // x87 registers in use
        }

        for (int bit = 0; bit < 32; bit++)
        {
            if ((CpuMxcsrMask & (1u << bit)) == 0 || ((uint)Mxcsr.AllExceptionMasks & (1u << bit)) != 0)
            {
                yield return 24 * 8 + bit;
            }
        }

        for (int bit = LayoutDescriptor.Offset * 8; bit < XSaveArea.HeaderOffset * 8; bit++)
        {
            yield return bit;
        }

        for (int bit = 0; bit < 64; bit++)
        {
            if (((ulong)xcr0 & (1UL << bit)) == 0)
            {
                yield return XSaveArea.HeaderOffset * 8 + bit;
            }
        }

        for (int bit = (XSaveArea.HeaderOffset + 8) * 8; bit < (XSaveArea.HeaderOffset + XSaveHeader.Size) * 8; bit++)
        {
            yield return bit;
        }

        if (xcr0.HasFlag(XFeatures.Pkru))
        {
            int pkru = layout.Slot(XFeatures.Pkru)!.Value.Offset * 8;
            yield return pkru;
            yield return pkru + 1;
        }
    }
}
