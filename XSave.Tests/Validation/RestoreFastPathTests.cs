using System;
using System.Collections.Generic;
using NUnit.Framework;
using XSave.Tests.Support;

namespace XSave.Tests.Validation;

/// <summary>
/// <see cref="RestoreFastPath"/> lets an area skip the full validator, so it must never pass an
/// area the validator rejects, and it should pass the areas Save writes. Checked bit by bit over
/// every byte the two read, on any architecture.
/// </summary>
public unsafe class RestoreFastPathTests
{
    private const XFeatures Xcr0 = XFeatures.X87 | XFeatures.Sse | XFeatures.Avx;
    private const uint CpuMxcsrMask = 0xFFFF;
    private static readonly XSaveLayout CpuLayout = XSaveLayout.Intel;
    private static readonly Processor.Snapshot Cpu = Processor.Snapshot.Create(Xcr0, CpuMxcsrMask, CpuLayout);

    /// <summary>What Save writes on the CPU above: this layout recorded, XSTATE_BV within XCR0.</summary>
    private static XSaveArea SavedArea()
    {
        XSaveArea area = XSaveArea.Initial;
        area.Legacy.MxcsrMask = (Mxcsr)CpuMxcsrMask;
        area.Header.XStateBv = Xcr0;
        area.RecordLayout(CpuLayout);
        return area;
    }

    private static bool Passes(in XSaveArea area)
    {
        using var aligned = new AlignedBuffer(XSaveArea.Size); // the fast path's precondition
        aligned.As<XSaveArea>() = area;
        Processor.Snapshot cpu = Cpu;
        return RestoreFastPath.Passes((XSaveArea*)aligned.Pointer, in cpu);
    }

    private static bool ValidatorAccepts(in XSaveArea area)
    {
        try
        {
            RestoreValidation.ThrowIfInvalid(in area, XSaveArea.SafeFeatures, Xcr0, CpuMxcsrMask, compactedSupported: true, CpuLayout);
            return true;
        }
        catch (InvalidXSaveAreaException)
        {
            return false;
        }
    }

    [Test]
    public void An_area_as_Save_writes_it_takes_the_fast_path()
    {
        XSaveArea area = SavedArea();
        Assert.Multiple(() =>
        {
            Assert.That(ValidatorAccepts(in area), Is.True);
            Assert.That(Passes(in area), Is.True);
        });
    }

    [Test]
    public void No_single_bit_flip_passes_the_fast_path_where_the_validator_rejects()
    {
        var wronglyPassed = new List<string>();
        var fastPathRejected = new List<int>();
        int validatorRejected = 0;
        for (int bit = 0; bit < (XSaveArea.HeaderOffset + XSaveHeader.Size) * 8; bit++)
        {
            XSaveArea area = SavedArea();
            area.AsSpan()[bit / 8] ^= (byte)(1 << (bit % 8));
            bool passes = Passes(in area), accepted = ValidatorAccepts(in area);
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
            Assert.That(fastPathRejected, Is.EquivalentTo(ExpectedFastPathRejections()), "the fast path reads exactly the fields it checks");
        });
    }

    /// <summary>The bits the fast path looks at: MXCSR outside the mask, the descriptor, XSTATE_BV outside XCR0, the rest of the header.</summary>
    private static IEnumerable<int> ExpectedFastPathRejections()
    {
        for (int bit = 0; bit < 32; bit++)
        {
            if ((CpuMxcsrMask & (1u << bit)) == 0)
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
            if (((ulong)Xcr0 & (1UL << bit)) == 0)
            {
                yield return XSaveArea.HeaderOffset * 8 + bit;
            }
        }

        for (int bit = (XSaveArea.HeaderOffset + 8) * 8; bit < (XSaveArea.HeaderOffset + XSaveHeader.Size) * 8; bit++)
        {
            yield return bit;
        }
    }
}
