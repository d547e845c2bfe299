namespace XSave.Tests.Hardware;

/// <summary>The generator's output in a consumer project (this one), run on the real CPU.</summary>
[RequiresXSave]
public unsafe class GeneratedThunkTests : RestoresCpuState
{
    [Test]
    public void XGETBV_thunk_reads_XCR0_and_rejects_registers_that_would_fault()
    {
        Assert.That((XFeatures)TestThunks.ReadXcr(0), Is.EqualTo(XSaveArea.EnabledFeatures));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => TestThunks.ReadXcr(7));
        Assert.That(ex!.Message, Does.Contain("#GP"));
    }

    [Test]
    public void Save_thunk_refuses_misaligned_and_null_areas()
    {
        using var buffer = new AlignedBuffer(XSaveArea.Size, 16);
        var misaligned = Assert.Throws<ArgumentException>(() => TestThunks.Save((XSaveArea*)buffer.Pointer, ulong.MaxValue));
        Assert.That(misaligned!.Message, Does.Contain("64-byte aligned"));
        Assert.Throws<ArgumentNullException>(() => TestThunks.Save(null, ulong.MaxValue));
    }

    [Test]
    public void Switch_thunk_saves_then_restores_and_refuses_before_touching_anything()
    {
        var from = new AlignedXSaveArea();
        var to = new AlignedXSaveArea();
        to.Area = _original;
        to.Area.Legacy.SseRounding = RoundingControl.TowardZero;
        TestThunks.Switch(from.Pointer, to.Pointer);
        Mxcsr switched = Cpu.MxcsrControl();
        _original.Load();

        byte[] saved = from.Area.ToArray();
        to.Area.Legacy.Mxcsr |= (Mxcsr)(1u << 31); // reserved: XRSTOR would raise #GP
        var invalid = Assert.Throws<InvalidXSaveAreaException>(() => TestThunks.Switch(from.Pointer, to.Pointer));
        using var misaligned = new AlignedBuffer(XSaveArea.Size, 16);
        var unaligned = Assert.Throws<ArgumentException>(() => TestThunks.Switch(from.Pointer, (XSaveArea*)misaligned.Pointer));
        Assert.Multiple(() =>
        {
            Assert.That(switched & (Mxcsr.RoundDown | Mxcsr.RoundUp), Is.EqualTo(Mxcsr.RoundDown | Mxcsr.RoundUp), "the restored area's MXCSR");
            Assert.That(from.Area.Legacy.SseRounding, Is.EqualTo(_original.Legacy.SseRounding), "the saved area holds the state before the switch");
            Assert.That(invalid!.Rule, Is.EqualTo(RestoreRule.MxcsrReservedBits));
            Assert.That(unaligned!.ParamName, Is.EqualTo("to"));
            Assert.That(from.Area.ToArray(), Is.EqualTo(saved), "a refused switch saved nothing");
        });
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Save_thunk_mask_is_limited_to_what_it_asks_for(bool featuresMask)
    {
        using var buffer = new AlignedBuffer(XSaveArea.Size);
        XSaveArea* area = (XSaveArea*)buffer.Pointer;
        if (featuresMask)
        {
            TestThunks.SaveFeatures(area, XFeatures.X87); // the mask as an XFeatures set
        }
        else
        {
            TestThunks.Save(area, (ulong)XFeatures.X87);
        }

        Assert.Multiple(() =>
        {
            Assert.That(area->Header.XStateBv & ~XFeatures.X87, Is.EqualTo(XFeatures.None));
            Assert.That(area->Legacy.Mxcsr, Is.EqualTo((Mxcsr)0), "SSE was not requested, so MXCSR was not written");
            Assert.That((ushort)area->Legacy.Fcw, Is.Not.Zero, "x87 was written");
        });
    }

    [TestCase(0)]
    [TestCase(8)]
    public void Compacted_save_restores_through_Load(int misalignment)
    {
        RequireXSaveC();
        using var aligned = new AlignedBuffer(XSaveArea.Size);
        using var buffer = new AlignedBuffer(XSaveArea.Size, misalignment);
        XSaveArea* saved = (XSaveArea*)aligned.Pointer, area = (XSaveArea*)buffer.Pointer;
        XSaveArea changed = _original;
        changed.Legacy.Mxcsr = Cpu.WithRounding(_original.Legacy.Mxcsr, 3);
        changed.Load();
        TestThunks.SaveCompacted(saved);
        _original.Load();
        *area = *saved; // a compacted image anywhere in memory: the misaligned copy takes the bounce path

        Assert.That(area->Header.IsCompacted, Is.True);
        Assert.That(area->Header.CompactedFeatures & ~XSaveArea.SavedFeatures, Is.EqualTo(XFeatures.None));
        area->Load();
        Assert.That(Cpu.MxcsrControl() & (Mxcsr)0x6000, Is.EqualTo((Mxcsr)0x6000), "the compacted image carried RC = toward zero");
    }

    [Test]
    public void A_plain_XSAVE_after_XSAVEC_leaves_XCOMP_BV_and_Save_normalises_it()
    {
        RequireXSaveC();
        using var buffer = new AlignedBuffer(XSaveArea.Size);
        XSaveArea* area = (XSaveArea*)buffer.Pointer;
        TestThunks.SaveCompacted(area);
        TestThunks.Save(area, ulong.MaxValue);
        // The image is now standard-format data under a compacted header (docs/xsave-behaviour.md).
        Assert.That(area->Header.IsCompacted, Is.True, "the raw instruction leaves XCOMP_BV alone");
        area->Save();
        Assert.That(area->Header.XCompBv, Is.Zero);
        Assert.DoesNotThrow(() => area->Load());
    }

    // (area in RDI, MXCSR out in RSI, MXCSR to put back in RDX): with every exception unmasked,
    // any inexact managed arithmetic would trap, so the read and the repair happen in one go.
    private static readonly Lazy<nint> RestoreReadMxcsrRepair = new(() => TestCode.Map(c =>
    {
        c.mov(rcx, rdx); // XRSTOR takes its mask in EDX:EAX
        c.mov(eax, (uint)XSaveArea.SafeFeatures);
        c.xor(edx, edx);
        c.xrstor64(__[rdi]);
        c.stmxcsr(__dword_ptr[rsi]);
        c.ldmxcsr(__dword_ptr[rcx]);
        c.ret();
    }));

    [Test]
    public void Raw_XRSTOR_of_a_zeroed_area_loads_MXCSR_zero_which_is_why_Load_fills_it_in()
    {
        using var buffer = new AlignedBuffer(XSaveArea.Size);
        XSaveArea* zero = (XSaveArea*)buffer.Pointer; // XSTATE_BV = 0, MXCSR = 0
        uint mxcsr = 0xFFFF_FFFF;
        uint keep = (uint)_original.Legacy.Mxcsr;
        ((delegate* unmanaged<XSaveArea*, uint*, uint*, void>)RestoreReadMxcsrRepair.Value)(zero, &mxcsr, &keep);
        zero->Load();
        Mxcsr viaLoad = Cpu.MxcsrControl();
        _original.Load();
        Assert.That(mxcsr, Is.Zero, "raw XRSTOR loaded MXCSR = 0: every SSE exception unmasked");
        Assert.That(viaLoad, Is.EqualTo(Mxcsr.AllExceptionMasks));
    }

    [Test]
    public void Optimised_save_and_restore_thunks_round_trip()
    {
        using var buffer = new AlignedBuffer(XSaveArea.Size);
        ref XSaveArea area = ref buffer.As<XSaveArea>();
        TestThunks.SaveOptimized(ref area);
        area.Legacy.Mxcsr = Cpu.WithRounding(area.Legacy.Mxcsr, 1);
        TestThunks.Restore(in area, ulong.MaxValue);
        Mxcsr live = Cpu.MxcsrControl();
        _original.Load();
        Assert.That(live & (Mxcsr)0x6000, Is.EqualTo(Mxcsr.RoundDown));
    }

    [Test]
    public void Restore_thunk_validates_before_XRSTOR()
    {
        using var buffer = new AlignedBuffer(XSaveArea.Size);
        XSaveArea* area = (XSaveArea*)buffer.Pointer;
        area->Save();
        area->Legacy.Mxcsr = (Mxcsr)0x8000_0000;
        var ex = Assert.Throws<InvalidXSaveAreaException>(() => TestThunks.Restore(in *area, ulong.MaxValue));
        Assert.That(ex!.Rule, Is.EqualTo(RestoreRule.MxcsrReservedBits));
    }

    [Test]
    public void Fx_thunks_round_trip_the_legacy_region()
    {
        using var buffer = new AlignedBuffer(LegacyRegion.Size);
        ref LegacyRegion region = ref buffer.As<LegacyRegion>();
        TestThunks.FxSave(ref region);
        region.Mxcsr = Cpu.WithRounding(region.Mxcsr, 2);
        TestThunks.FxRestore((LegacyRegion*)buffer.Pointer);
        Mxcsr live = Cpu.MxcsrControl();
        _original.Load();
        Assert.That(live & (Mxcsr)0x6000, Is.EqualTo(Mxcsr.RoundUp));

        region.Mxcsr = (Mxcsr)0x8000_0000;
        Assert.Throws<InvalidXSaveAreaException>(() => TestThunks.FxRestore((LegacyRegion*)buffer.Pointer));
    }

    [Test]
    public void All_thunks_of_an_assembly_share_one_read_execute_mapping()
    {
        TestThunks.ReadXcr(0);
        var mappings = Array.FindAll(System.Linq.Enumerable.ToArray(ExecutableMemory.Mappings), m => m.Owner == typeof(TestThunks).Assembly.GetName().Name && m.Listing.Length > 0);
        Assert.That(mappings, Has.Length.EqualTo(1));
        Assert.That(mappings[0].Listing, Does.Contain("xsavec64").And.Contain("xgetbv").And.Contain("fxrstor64"));
    }

    private static void RequireXSaveC()
    {
        if (!Processor.Profile.HasXSaveC)
        {
            Assert.Ignore("Needs XSAVEC (CPUID.(0DH,1):EAX[1]).");
        }
    }
}
