using System.Collections.Generic;

using XSave.Generators;
using GeneratedInstruction = XSave.Generators.Shared.XSaveInstruction;

namespace XSave.Tests.Hardware;

/// <summary>
/// The runtime's generated copy and checked-restore routines, both forms (legacy SSE and VEX)
/// on any CPU that can run them: the bytes they copy, the areas they decline, and the state
/// components they leave alone.
/// </summary>
[RequiresXSave]
public unsafe class PrivateCopyTests : RestoresCpuState
{
    [SetUp]
    public void BuildTheTables() => RuntimeTables.EnsureReady();

    private static void RequireForm(bool vex)
    {
        if (vex && (XSaveArea.EnabledFeatures & XFeatures.Avx) == 0)
        {
            Assert.Ignore("The VEX form needs AVX enabled in XCR0.");
        }
    }

    private static void Copy(bool vex, byte* from, byte* to, CopyRun* runs, ulong components)
    {
        if (vex)
        {
            Instructions.CopyRunsAvx(from, to, runs, components);
        }
        else
        {
            Instructions.CopyRunsSse(from, to, runs, components);
        }
    }

    // What the routine declined: 0 when it loaded the area, else the area.
    private static nint CheckedRestore(bool vex, XSaveArea* area, XSaveArea* scratch) => (nint)(vex
        ? Instructions.CheckedRestoreAvx(area, scratch, RuntimeTables.RestorePlan)
        : Instructions.CheckedRestoreSse(area, scratch, RuntimeTables.RestorePlan));

    // Runs of every length class (vectors, words, bytes, and mixes), one under a clear bit, one zeroing.
    private static readonly (int Offset, int Length, int Component, bool Zero)[] Runs =
        [(900, 1, 0xFF, false), (910, 7, 0xFF, false), (930, 8, 0xFF, false), (950, 15, 0xFF, false), (1000, 16, 0xFF, false),
         (1100, 31, 0xFF, false), (1200, 32, 0xFF, false), (1300, 33, 0xFF, false), (1400, 100, 5, false), (1600, 77, 0xFF, true), (2000, 64, 6, false)];

    [Test]
    public void Copy_routine_moves_exactly_its_bytes_at_any_alignment([Values(false, true)] bool vex, [Values(0, 8, 33)] int fromMisaligned, [Values(0, 8, 61)] int toMisaligned, [Values(true, false)] bool avxBit)
    {
        RequireForm(vex);
        using var source = new AlignedBuffer(XSaveArea.Size, fromMisaligned);
        using var target = new AlignedBuffer(XSaveArea.Size, toMisaligned);
        var random = new Random(fromMisaligned * 100 + toMisaligned);
        random.NextBytes(new Span<byte>(source.Pointer, XSaveArea.Size));
        new Span<byte>(target.Pointer, XSaveArea.Size).Fill(0xEE);
        CopyRun* table = stackalloc CopyRun[Runs.Length + 1];
        for (int i = 0; i < Runs.Length; i++)
        {
            table[i] = new CopyRun(Runs[i].Offset, Runs[i].Length, Runs[i].Component, Runs[i].Zero);
        }

        table[Runs.Length] = default;
        ulong components = (avxBit ? 1UL << 2 : 0) | (1UL << 5); // component 6 clear: its run stays untouched

        Copy(vex, source.Pointer, target.Pointer, table, components);

        byte[] expected = Enumerable.Repeat((byte)0xEE, XSaveArea.Size).ToArray();
        new Span<byte>(source.Pointer, AreaOffsets.Components).CopyTo(expected); // legacy region, descriptor, header: always
        if (avxBit)
        {
            new Span<byte>(source.Pointer + AreaOffsets.Components, AreaOffsets.AvxSize).CopyTo(expected.AsSpan(AreaOffsets.Components));
        }

        foreach (var (offset, length, component, zero) in Runs)
        {
            if (component == CopyRun.Always || (components & (1UL << component)) != 0)
            {
                Span<byte> run = expected.AsSpan(offset, length);
                if (zero)
                {
                    run.Clear();
                }
                else
                {
                    new Span<byte>(source.Pointer + offset, length).CopyTo(run);
                }
            }
        }

        byte[] actual = new Span<byte>(target.Pointer, XSaveArea.Size).ToArray();
        int first = Enumerable.Range(0, XSaveArea.Size).FirstOrDefault(i => actual[i] != expected[i], -1);
        Assert.That(first, Is.EqualTo(-1), $"first wrong byte at {first}: no byte outside a run written, every byte of one");
    }

    [Test]
    public void Checked_restore_loads_a_saved_area([Values(false, true)] bool vex)
    {
        RequireForm(vex);
        using var area = new AlignedBuffer(XSaveArea.Size, 8); // the caller's area may lie anywhere
        using var scratch = new AlignedBuffer(XSaveArea.Size);
        ref XSaveArea state = ref area.As<XSaveArea>();
        state.Save();
        state.Legacy.Mxcsr = Cpu.WithRounding(state.Legacy.Mxcsr, 3);
        byte[] before = state.AsSpan().ToArray();

        nint declined = CheckedRestore(vex, (XSaveArea*)area.Pointer, (XSaveArea*)scratch.Pointer);
        Mxcsr live = Cpu.MxcsrControl();
        _original.Load();
        byte[] after = state.AsSpan().ToArray();

        Assert.Multiple(() =>
        {
            Assert.That(declined, Is.EqualTo((nint)0), "passed the checks");
            Assert.That(live & (Mxcsr)0x6000, Is.EqualTo((Mxcsr)0x6000), "the area's rounding is live");
            Assert.That(after, Is.EqualTo(before), "the caller's area is unchanged");
            Assert.That(new Span<byte>(scratch.Pointer, AreaOffsets.Registers).ToArray(), Is.EqualTo(before[..AreaOffsets.Registers]), "the scratch holds the control lanes it checked");
            Assert.That(new Span<byte>(scratch.Pointer + AreaOffsets.Descriptor, AreaOffsets.Components - AreaOffsets.Descriptor).ToArray(),
                Is.EqualTo(before[AreaOffsets.Descriptor..AreaOffsets.Components]), "and the descriptor and header");
        });
    }

    /// <summary>
    /// The checked restore loads the XMM registers and AVX's upper halves itself and leaves the
    /// rest to XRSTOR: what it leaves in the registers must be what XRSTOR64 of the same area
    /// leaves, for every combination of the x87, SSE and AVX bits in XSTATE_BV. Both are followed
    /// by XSAVE in the same machine code, with no managed code between.
    /// </summary>
    [Test]
    public void Checked_restore_loads_what_XRSTOR_loads([Values(false, true)] bool vex, [Values(false, true)] bool x87, [Values(false, true)] bool sse, [Values(false, true)] bool avx)
    {
        RequireForm(vex);
        if (avx && (XSaveArea.SavedFeatures & XFeatures.Avx) == 0)
        {
            Assert.Ignore("Needs AVX enabled in XCR0.");
        }

        XSaveArea area = default;
        area.Save();
        for (int i = 0; i < 16; i++)
        {
            area.Legacy.Xmm[i] = new XmmRegister(0x1111_0000_0000_0000UL | (uint)i, 0x2222_0000_0000_0000UL | (uint)i);
        }

        if ((XSaveArea.SavedFeatures & XFeatures.Avx) != 0)
        {
            for (int i = 0; i < AreaOffsets.AvxSize; i++)
            {
                area.AsSpan()[AreaOffsets.Components + i] = (byte)(0x40 + i);
            }
        }

        area.Legacy.Mxcsr = Cpu.WithRounding(area.Legacy.Mxcsr, 2);
        XFeatures toggled = XFeatures.X87 | XFeatures.Sse | XFeatures.Avx;
        area.Header.XStateBv = (area.Header.XStateBv & ~toggled) | (x87 ? XFeatures.X87 : 0) | (sse ? XFeatures.Sse : 0) | (avx ? XFeatures.Avx : 0);

        XSaveArea byXRstor = TestCode.LoadThenSave(in area);
        var thunk = XSaveThunkGenerator.CodeAssembler.Run(Model(vex ? GeneratedInstruction.CheckedRestoreAvx : GeneratedInstruction.CheckedRestore));
        nint routine = ExecutableMemory.Map(thunk.SystemV.ToArray(), "XSave.Tests", string.Empty);
        var (declined, byRoutine) = TestCode.CheckedLoadThenSave(in area, routine, RuntimeTables.RestorePlan);

        Assert.Multiple(() =>
        {
            Assert.That(declined, Is.EqualTo((nint)0), "passed the checks");
            Assert.That(Xmm(in byRoutine), Is.EqualTo(Xmm(in byXRstor)), "XMM0–XMM15");
            Assert.That(byRoutine.Legacy.Mxcsr, Is.EqualTo(byXRstor.Legacy.Mxcsr), "MXCSR");
            Assert.That(X87(in byRoutine), Is.EqualTo(X87(in byXRstor)), "the x87 state");
            Assert.That(AvxUpper(in byRoutine), Is.EqualTo(AvxUpper(in byXRstor)), "AVX's upper halves");
        });
    }

    // A component's bytes as the registers held them: zeros where XSAVE found it in its init state (and left memory alone).
    private static byte[] Xmm(in XSaveArea saved) => saved.Header.XStateBv.HasFlag(XFeatures.Sse)
        ? saved.AsSpan()[AreaOffsets.Xmm..AreaOffsets.Reserved].ToArray() : new byte[AreaOffsets.Reserved - AreaOffsets.Xmm];

    private static byte[] AvxUpper(in XSaveArea saved) => saved.Header.XStateBv.HasFlag(XFeatures.Avx)
        ? saved.AsSpan()[AreaOffsets.Components..(AreaOffsets.Components + AreaOffsets.AvxSize)].ToArray() : new byte[AreaOffsets.AvxSize];

    private static string X87(in XSaveArea saved) => saved.Header.XStateBv.HasFlag(XFeatures.X87)
        ? Convert.ToHexString(saved.AsSpan()[..AreaOffsets.Xmm]).Remove(48, 16) // less MXCSR and MXCSR_MASK (bytes 24–31)
        : "init";

    private static Generators.Models.ThunkModel Model(GeneratedInstruction instruction) => new(
        new Generators.Models.HierarchyInfo(string.Empty, Generators.Helpers.EquatableArray<string>.Empty),
        "static", "int", "Thunk", "Thunk", Generators.Helpers.EquatableArray<string>.Empty,
        Generators.Models.ParameterNames.Of(Generators.Shared.InstructionTable.Of(instruction).Shape, "area", "scratch", string.Empty), instruction, Generators.Models.AreaPassing.Pointer, IsUnchecked: true, IsFreestanding: false);

    /// <summary>Each breaks one check of the routine; each must come back declined with nothing loaded.</summary>
    public static IEnumerable<TestCaseData> Declined()
    {
        foreach (bool vex in new[] { false, true })
        {
            yield return new TestCaseData(vex, "FCW with the invalid-operation exception unmasked", (Action<byte[]>)(a => a[0] &= 0xFE));
            yield return new TestCaseData(vex, "an x87 register tagged valid (FTW)", (Action<byte[]>)(a => a[4] = 0x01));
            yield return new TestCaseData(vex, "MXCSR with a bit outside MXCSR_MASK", (Action<byte[]>)(a => a[27] |= 0x80));
            yield return new TestCaseData(vex, "MXCSR with the divide-by-zero exception unmasked", (Action<byte[]>)(a => a[25] &= 0xFD));
            yield return new TestCaseData(vex, "no layout descriptor", (Action<byte[]>)(a => a.AsSpan(464, 48).Clear()));
            yield return new TestCaseData(vex, "the descriptor's last byte changed", (Action<byte[]>)(a => a[511] ^= 1));
            yield return new TestCaseData(vex, "XSTATE_BV with bit 62 (outside XCR0)", (Action<byte[]>)(a => a[519] |= 0x40));
            yield return new TestCaseData(vex, "the compacted format (XCOMP_BV bit 63)", (Action<byte[]>)(a => a[527] |= 0x80));
            yield return new TestCaseData(vex, "a header byte past XCOMP_BV", (Action<byte[]>)(a => a[575] = 1));
        }
    }

    [TestCaseSource(nameof(Declined))]
    public void Checked_restore_declines_what_its_checks_refuse_and_loads_nothing(bool vex, string broken, Action<byte[]> breakIt)
    {
        RequireForm(vex);
        using var area = new AlignedBuffer(XSaveArea.Size, 16);
        using var scratch = new AlignedBuffer(XSaveArea.Size);
        ref XSaveArea state = ref area.As<XSaveArea>();
        state.Save();
        state.Legacy.Mxcsr = Cpu.WithRounding(state.Legacy.Mxcsr, 3);
        byte[] bytes = state.AsSpan().ToArray();
        breakIt(bytes);
        bytes.CopyTo(state.AsSpan());
        Mxcsr before = Cpu.MxcsrControl();

        nint declined = CheckedRestore(vex, (XSaveArea*)area.Pointer, (XSaveArea*)scratch.Pointer);

        Assert.Multiple(() =>
        {
            Assert.That(declined, Is.EqualTo((nint)area.Pointer), $"declined, returning the area: {broken}");
            Assert.That(Cpu.MxcsrControl(), Is.EqualTo(before), "nothing loaded");
        });
    }

    [Test]
    public void Checked_restore_declines_PKRU_locking_key_0([Values(false, true)] bool vex)
    {
        RequireForm(vex);
        if ((XSaveArea.SavedFeatures & XFeatures.Pkru) == 0)
        {
            Assert.Ignore("Needs PKRU enabled in XCR0 (protection keys).");
        }

        using var area = new AlignedBuffer(XSaveArea.Size);
        using var scratch = new AlignedBuffer(XSaveArea.Size);
        ref XSaveArea state = ref area.As<XSaveArea>();
        state.Save();
        state.SetPkru(1); // access-disable for key 0: the thread could not touch its own stack
        state.Legacy.Mxcsr = Cpu.WithRounding(state.Legacy.Mxcsr, 3);
        Mxcsr before = Cpu.MxcsrControl();

        nint declined = CheckedRestore(vex, (XSaveArea*)area.Pointer, (XSaveArea*)scratch.Pointer);

        Assert.Multiple(() =>
        {
            Assert.That(declined, Is.EqualTo((nint)area.Pointer), "declined, returning the area");
            Assert.That(Cpu.MxcsrControl(), Is.EqualTo(before), "nothing loaded");
        });
    }

    /// <summary>
    /// Issue: the library's own copies must not put a component in use that the caller had in its
    /// init state (the C library's memmove and 64-byte managed vectors used ZMM registers, so a
    /// save after the bounce recorded a kilobyte of the library's own register contents).
    /// </summary>
    [Test]
    public void Saves_after_Clear_record_no_vector_component_the_library_used()
    {
        // AVX's upper halves on every AVX machine (the VEX copies end with VZEROUPPER); AVX-512's
        // components where enabled (wide copies through ZMM registers would put them in use).
        XFeatures watched = XSaveArea.SavedFeatures & (XFeatures.Avx | XFeatures.Avx512Opmask | XFeatures.Avx512ZmmHi256 | XFeatures.Avx512Hi16Zmm);
        if (watched == XFeatures.None)
        {
            Assert.Ignore("Needs AVX enabled in XCR0: without it the copies use no component beyond SSE, which the runtime's own code keeps in use.");
        }

        using var probe = new AlignedBuffer(XSaveArea.Size);
        XSaveArea.Clear();
        Instructions.XSave64((XSaveArea*)probe.Pointer);
        XFeatures untracked = probe.As<XSaveArea>().Header.XStateBv & watched;
        if (untracked != XFeatures.None)
        {
            _original.Load();
            Assert.Ignore($"This processor reports {untracked} in use straight after Clear(): it does not track their init state (qemu's XSAVE reports every component in use), so nothing here could tell the library's use apart.");
        }

        using var misaligned = new AlignedBuffer(XSaveArea.Size, 8);
        using var aligned = new AlignedBuffer(XSaveArea.Size);
        using var second = new AlignedBuffer(XSaveArea.Size, 8);
        XFeatures afterBounce, afterLoad;
        XSaveArea.Clear();
        misaligned.As<XSaveArea>().Save(); // the bounce: XSAVE, then the copy back
        aligned.As<XSaveArea>().Save();
        afterBounce = aligned.As<XSaveArea>().Header.XStateBv;
        misaligned.As<XSaveArea>().Load(); // the checked restore's copy
        second.As<XSaveArea>().Save();
        aligned.As<XSaveArea>().Save();
        afterLoad = aligned.As<XSaveArea>().Header.XStateBv;
        _original.Load();

        Assert.Multiple(() =>
        {
            Assert.That(afterBounce & watched, Is.EqualTo(XFeatures.None), "after a misaligned save");
            Assert.That(afterLoad & watched, Is.EqualTo(XFeatures.None), "after a checked load and another misaligned save");
        });
    }
}
