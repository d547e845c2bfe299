using System.Collections.Generic;
using System.Runtime.Intrinsics;

namespace XSave.Tests.Layout;

/// <summary>
/// The library's decisions for every recorded CPU (Data/cpu-profiles.tsv): the layout it takes
/// from that CPU's CPUID answers, what restores are checked against, and a Linux core written in
/// that CPU's offsets, read back value for value and converted to every other layout and back.
/// Plain C#: runs on any architecture.
/// </summary>
public class RecordedCpuTests
{
    private const int PageEnd = XSaveArea.Size;

    public static IEnumerable<RecordedCpu> AllCpus() => RecordedCpu.All;

    public static IEnumerable<TestCaseData> SaneCpusWithXSave() =>
        RecordedCpu.All.Where(c => c.Sane && c.HasXSave).SelectMany(c => new[]
        {
            new TestCaseData(c, true).SetArgDisplayNames(c.Name, "with the kernel's layout note"),
            new TestCaseData(c, false).SetArgDisplayNames(c.Name, "without it"),
        });

    [Test]
    public void The_recorded_CPUs_cover_both_vendors_PKRU_layouts_and_CPUID_answers_that_locate_nothing()
    {
        Assert.Multiple(() =>
        {
            Assert.That(RecordedCpu.All, Has.Count.GreaterThan(90));
            Assert.That(RecordedCpu.All.Select(c => c.Vendor).Distinct(), Is.SupersetOf(new[] { "GenuineIntel", "AuthenticAMD" }));
            Assert.That(RecordedCpu.All.Where(c => c.Components.TryGetValue(9, out var pkru) && pkru.Size > 0).Select(c => c.Components[9].Offset).Distinct(),
                Is.SupersetOf(new[] { 832, 2432, 2688 }), "PKRU at Zen 2's, Zen 3/4's and Intel's offset");
            Assert.That(RecordedCpu.All.Count(c => !c.Sane), Is.GreaterThan(0));
        });
    }

    [TestCaseSource(nameof(AllCpus))]
    public void The_layout_taken_from_CPUID_locates_only_real_slots_and_says_when_it_corrected_one(RecordedCpu cpu)
    {
        XSaveLayout layout = cpu.Profile().Layout!;
        Assert.Multiple(() =>
        {
            for (int i = 2; i < StateComponent.Count; i++)
            {
                if (layout.Slot(i) is { } slot)
                {
                    Assert.That(slot.Offset, Is.GreaterThanOrEqualTo(576), $"component {i} lies past the header");
                    Assert.That(slot.Size, Is.GreaterThan(0), $"component {i}");
                    Assert.That(slot.End, Is.LessThanOrEqualTo(PageEnd), $"component {i} ends inside the page");
                }
            }

            if (cpu.Sane)
            {
                foreach (var (bit, (offset, size, _)) in cpu.Components.Where(c => c.Key < StateComponent.Count && c.Value.Offset + c.Value.Size <= PageEnd))
                {
                    Assert.That(layout.Slot(bit), Is.EqualTo(new ComponentSlot(offset, size)), $"component {bit} where CPUID puts it");
                }

                Assert.That(layout.Name, Is.EqualTo("CPUID leaf 0DH"));
            }
            else
            {
                Assert.That(layout.Name, Does.Contain("CPUID reported"), "a correction is stated");
                var corrected = cpu.Components.Where(c => c.Value.Size == 0 || c.Value.Offset == 0).Select(c => c.Key)
                    .Concat(Enumerable.Range(2, 18).Where(i => ((ulong)cpu.Supported & (1UL << i)) != 0 && !cpu.Components.ContainsKey(i)));
                foreach (int bit in corrected)
                {
                    Assert.That(layout.Slot(bit), Is.Not.Null, $"component {bit} taken from a vendor table that agrees with the rest");
                }
            }
        });
    }

    /// <summary>
    /// A bounced save copies the saved slots back and zeroes the gaps: together they must tile
    /// the bytes from the header to <see cref="CpuProfile.SavedEnd"/> exactly, on every
    /// recorded CPU, so no byte there is left as the caller held it or written twice.
    /// </summary>
    [TestCaseSource(nameof(AllCpus))]
    public void Saved_slots_and_gaps_tile_the_bytes_a_bounced_save_writes(RecordedCpu cpu)
    {
        CpuProfile profile = cpu.Profile();
        const int Components = XSaveArea.HeaderOffset + XSaveHeader.Size;
        var owners = new int[PageEnd];
        foreach (var (_, slot) in profile.SavedSlots)
        {
            for (int i = slot.Offset; i < slot.End; i++)
            {
                owners[i]++;
            }
        }

        foreach (var (offset, length) in profile.SavedGaps)
        {
            for (int i = offset; i < offset + length; i++)
            {
                owners[i]++;
            }
        }

        int expectedEnd = profile.SavedSlots.Select(s => s.Slot.End).DefaultIfEmpty(Components).Max();
        Assert.Multiple(() =>
        {
            Assert.That(profile.SavedEnd, Is.EqualTo(expectedEnd), "the end of the last saved slot");
            Assert.That(Enumerable.Range(Components, profile.SavedEnd - Components).Where(i => owners[i] != 1), Is.Empty, "each byte in one slot or one gap");
            Assert.That(Enumerable.Range(profile.SavedEnd, PageEnd - profile.SavedEnd).Where(i => owners[i] != 0), Is.Empty, "nothing past the end");
            Assert.That(profile.SavedGaps.Where(g => g.Length <= 0), Is.Empty, "no empty gap");
        });
    }

    [TestCaseSource(nameof(AllCpus))]
    public void Restores_are_checked_where_that_CPU_keeps_PKRU(RecordedCpu cpu)
    {
        CpuProfile profile = cpu.Profile();
        CpuSnapshot snapshot = CpuSnapshot.Create(profile);
        bool pkru = cpu.Xcr0.HasFlag(XFeatures.Pkru);
        Assert.Multiple(() =>
        {
            byte[] rejects = new byte[16];
            snapshot.PkruRejects.AsByte().CopyTo(rejects);
            int first = Array.FindIndex(rejects, b => b != 0);
            Assert.That(first < 0 ? -1 : snapshot.PkruLane + first, Is.EqualTo(pkru ? profile.Layout!.Slot(XFeatures.Pkru)!.Value.Offset : -1), "the fast path looks at PKRU's byte");
            Assert.That(first < 0 ? 0 : rejects[first], Is.EqualTo(pkru ? 3 : 0), "its key-0 bits");

            Assert.That(profile.SavedSlots.Where(s => s.Slot.Size > XSaveLayout.ArchitecturalSize(s.Component)), Is.Empty,
                "a bounced save copies only the component's own bytes (Zen 2 reports a 64-byte PKRU slot)");
            Assert.That(profile.SavedSlots.Select(s => s.Component), Is.EquivalentTo(
                Enumerable.Range(2, 18).Where(i => ((ulong)(cpu.Xcr0 & XSaveArea.SafeFeatures) & (1UL << i)) != 0 && profile.Layout!.Slot(i) is not null)));
        });

        if (!pkru || !cpu.HasXSave)
        {
            return;
        }

        XSaveArea area = XSaveArea.Initial;
        area.Header.XStateBv = XFeatures.X87 | XFeatures.Sse | XFeatures.Pkru;
        area.RecordLayout(profile.Layout!);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(area.AsSpan()[profile.Layout!.Slot(XFeatures.Pkru)!.Value.Offset..], 0x55555557);
        var ex = Assert.Throws<InvalidXSaveAreaException>(() => RestoreValidation.ThrowIfInvalid(in area, XSaveArea.SafeFeatures, profile, RestoreHazards.None));
        Assert.That(ex!.Rule, Is.EqualTo(RestoreRule.PkruLocksKeyZero));
    }

    [TestCaseSource(nameof(SaneCpusWithXSave))]
    public void A_core_from_that_CPU_reads_back_value_for_value(RecordedCpu cpu, bool layoutNote)
    {
        byte[] image = KernelImage(cpu);
        var core = new CoreBuilder().Thread(4242, image);
        if (layoutNote)
        {
            core.Layout(cpu.Components.Where(c => ((ulong)cpu.Xcr0 & (1UL << c.Key)) != 0).Select(c => (c.Key, c.Value.Offset, c.Value.Size)));
        }

        var threads = LinuxCoreFile.ReadThreads(core.Build());
        Assert.That(threads, Has.Count.EqualTo(1));
        XSaveImage state = threads[0].State;
        XFeatures pastThePage = Enumerable.Range(2, 18).Where(i => ((ulong)cpu.Xcr0 & (1UL << i)) != 0 && cpu.Components[i].Offset + cpu.Components[i].Size > PageEnd)
            .Aggregate(XFeatures.None, (all, i) => all | (XFeatures)(1UL << i));
        Assert.Multiple(() =>
        {
            Assert.That(threads[0].ThreadId, Is.EqualTo(4242));
            Assert.That(state.Format, Is.EqualTo(XSaveImageFormat.LinuxXState));
            Assert.That(state.Xcr0, Is.EqualTo(cpu.Xcr0));
            Assert.That(state.Length, Is.EqualTo(cpu.ImageSize));
            Assert.That(state.Dropped, Is.EqualTo(pastThePage), "AMX tile data does not fit the page");
            Assert.That(state.Layout.Name, layoutNote ? Does.Contain("NT_X86_XSAVE_LAYOUT") : Does.Not.Contain("NT_X86_XSAVE_LAYOUT"));
            Assert.That(state.LayoutSource, Is.EqualTo(layoutNote ? LayoutSource.KernelNote : LayoutSource.Xcr0AndSize), "the kernel's note wins over any guess");
            AssertHoldsTheValues(state, cpu, pastThePage);
        });
    }

    [TestCaseSource(nameof(SaneCpusWithXSave))]
    public void A_core_from_that_CPU_converts_to_every_layout_that_can_hold_it_and_back(RecordedCpu cpu, bool layoutNote)
    {
        var core = new CoreBuilder().Thread(1, KernelImage(cpu));
        if (layoutNote)
        {
            core.Layout(cpu.Components.Where(c => ((ulong)cpu.Xcr0 & (1UL << c.Key)) != 0).Select(c => (c.Key, c.Value.Offset, c.Value.Size)));
        }

        XSaveImage state = LinuxCoreFile.ReadThreads(core.Build())[0].State;
        var targets = XSaveLayout.Known.Where(t => Holds(t, state.InUse)).ToList();
        Assert.That(targets, Is.Not.Empty, "some known layout holds this CPU's state");
        Assert.Multiple(() =>
        {
            foreach (XSaveLayout target in targets)
            {
                XSaveImage there = XSaveImage.Parse(state.ToStandard(target).ToArray());
                Assert.That(there.Layout, Is.EqualTo(target), $"{target.Name}: recorded with the area");
                Assert.That(there.LayoutSource, Is.EqualTo(LayoutSource.Recorded), target.Name);
                AssertSameComponents(there, state, $"to {target.Name}");
                XSaveImage back = XSaveImage.Parse(there.ToStandard(state.Layout).ToArray());
                AssertSameComponents(back, state, $"to {target.Name} and back");
            }

            XSaveImage compacted = XSaveImage.Parse(state.ToCompacted().ToArray());
            Assert.That(compacted.Format, Is.EqualTo(XSaveImageFormat.Compacted));
            Assert.That(compacted.LayoutSource, Is.EqualTo(LayoutSource.Compacted));
            AssertSameComponents(compacted, state, "compacted");
        });
    }

    /// <summary>NT_X86_XSTATE as the kernel writes it on that CPU: its offsets, its size, XCR0 at 464, every component in use.</summary>
    private static byte[] KernelImage(RecordedCpu cpu)
    {
        byte[] image = new byte[cpu.ImageSize];
        BitConverter.TryWriteBytes(image.AsSpan(0), (ushort)0x037F);
        BitConverter.TryWriteBytes(image.AsSpan(24), 0x1F80u);
        BitConverter.TryWriteBytes(image.AsSpan(28), 0xFFFFu);
        for (int j = 0; j < 256; j++)
        {
            image[160 + j] = Value(1, j); // XMM0–15
        }

        BitConverter.TryWriteBytes(image.AsSpan(464), (ulong)cpu.Xcr0);
        BitConverter.TryWriteBytes(image.AsSpan(512), (ulong)cpu.Xcr0);
        foreach (var (bit, (offset, size, _)) in cpu.Components.Where(c => ((ulong)cpu.Xcr0 & (1UL << c.Key)) != 0))
        {
            for (int j = 0; j < size; j++)
            {
                image[offset + j] = Value(bit, j);
            }
        }

        return image;
    }

    private static byte Value(int component, int j) => (byte)((component * 31) + j + 1);

    private static void AssertHoldsTheValues(XSaveImage state, RecordedCpu cpu, XFeatures pastThePage)
    {
        Span<byte> xmm = stackalloc byte[16];
        for (int r = 0; r < 16; r++)
        {
            System.Runtime.InteropServices.MemoryMarshal.Write(xmm, in state.Area.Legacy.Xmm[r]);
            for (int j = 0; j < 16; j++)
            {
                Assert.That(xmm[j], Is.EqualTo(Value(1, (16 * r) + j)), $"XMM{r} byte {j}");
            }
        }

        for (int i = 2; i < StateComponent.Count; i++)
        {
            if (((ulong)(cpu.Xcr0 & ~pastThePage) & (1UL << i)) == 0)
            {
                continue;
            }

            byte[] expected = Enumerable.Range(0, Math.Min(cpu.Components[i].Size, XSaveLayout.ArchitecturalSize(i))).Select(j => Value(i, j)).ToArray();
            Assert.That(state.GetComponent((XFeatures)(1UL << i)).ToArray(), Is.EqualTo(expected), $"component {i}");
        }

        if (cpu.Xcr0.HasFlag(XFeatures.Pkru))
        {
            Assert.That(state.Area.Pkru, Is.EqualTo(BitConverter.ToUInt32(new[] { Value(9, 0), Value(9, 1), Value(9, 2), Value(9, 3) })));
        }
    }

    private static void AssertSameComponents(XSaveImage actual, XSaveImage expected, string what)
    {
        Assert.That(actual.InUse, Is.EqualTo(expected.InUse), what);
        Assert.That(actual.Area.Legacy.Xmm[7], Is.EqualTo(expected.Area.Legacy.Xmm[7]), what);
        for (int i = 2; i < StateComponent.Count; i++)
        {
            if (((ulong)expected.InUse & (1UL << i)) != 0)
            {
                Assert.That(actual.GetComponent((XFeatures)(1UL << i)).ToArray(), Is.EqualTo(expected.GetComponent((XFeatures)(1UL << i)).ToArray()), $"{what}: component {i}");
            }
        }
    }

    private static bool Holds(XSaveLayout layout, XFeatures inUse) =>
        Enumerable.Range(2, 18).All(i => ((ulong)inUse & (1UL << i)) == 0 || layout.Slot(i) is { } slot && slot.End <= PageEnd);
}
