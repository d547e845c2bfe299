namespace XSave.Tests.Hardware;

/// <summary>Save/Load/Clear through the public API, checked on registers managed code never touches (x87, MXCSR).</summary>
[RequiresXSave]
public class SaveLoadTests : RestoresCpuState
{
    [Test]
    public unsafe void A_misaligned_save_copies_back_no_stale_stack_bytes()
    {
        using var buffer = new AlignedBuffer(XSaveArea.Size, 8);
        ref XSaveArea area = ref buffer.As<XSaveArea>();
        area = _original;
        Span<byte> reserved = new(buffer.Pointer + 416, 48); // legacy bytes XSAVE and XRSTOR leave alone
        reserved.Fill(0xAA);
        buffer.Pointer[5] = 0xAA; // reserved, after the abridged FTW
        for (int i = 0; i < 8; i++)
        {
            new Span<byte>(buffer.Pointer + 32 + (16 * i) + 10, 6).Fill(0xAA); // the 6 bytes above each 80-bit ST register
        }

        foreach (var (offset, length) in Processor.Profile.SavedGaps)
        {
            new Span<byte>(buffer.Pointer + offset, length).Fill(0xAA); // in no saved slot: nothing writes them
        }

        area.Load(); // bounced through stack scratch, which now holds 0xAA there
        FillStackBelow(); // and 0xAA all through the scratch the save will use
        area.Save(); // bounced through stack scratch at the same depth
        byte[] after = new Span<byte>(buffer.Pointer, XSaveArea.Size).ToArray();
        CpuProfile cpu = Processor.Profile;
        Assert.Multiple(() =>
        {
            Assert.That(after[416..464], Is.All.Zero, "the bytes XSAVE does not write come back as zeros, not as stale stack");
            Assert.That(after[5], Is.Zero, "byte 5");
            for (int i = 0; i < 8; i++)
            {
                Assert.That(after[(32 + (16 * i) + 10)..(32 + (16 * i) + 16)], Is.All.Zero, $"ST{i}'s upper bytes (qemu's XSAVE leaves them)");
            }

            foreach (var (offset, length) in cpu.SavedSlotPadding)
            {
                Assert.That(after[offset..(offset + length)], Is.All.Zero, $"bytes {offset}–{offset + length - 1}, in a saved slot past its registers");
            }

            foreach (var (offset, length) in cpu.SavedGaps)
            {
                Assert.That(after[offset..(offset + length)], Is.All.EqualTo(0xAA), $"bytes {offset}–{offset + length - 1}, in no saved slot: the caller's, as an aligned save leaves them");
            }
        });
    }

    // Leaves 0xAA in the stack below the caller's frame, where the next call's scratch will lie.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void FillStackBelow()
    {
        Span<byte> below = stackalloc byte[2 * XSaveArea.Size];
        below.Fill(0xAA);
    }

    [Test]
    public void Enabled_features_are_XCR0_within_what_CPUID_reports_supported()
    {
        var leaf = System.Runtime.Intrinsics.X86.X86Base.CpuId(0xD, 0);
        ulong supported = (uint)leaf.Eax | ((ulong)(uint)leaf.Edx << 32);
        XFeatures enabled = XSaveArea.EnabledFeatures;
        Assert.Multiple(() =>
        {
            Assert.That(enabled.HasFlag(XFeatures.X87 | XFeatures.Sse), Is.True, "XCR0 bit 0 is always 1 and SSE is on in every x86-64 OS");
            Assert.That((ulong)enabled & ~supported, Is.Zero, "XCR0 only enables what CPUID.(0DH,0) supports");
            Assert.That(XSaveArea.SavedFeatures | XSaveArea.UnsavedFeatures, Is.EqualTo(enabled));
            Assert.That(XSaveArea.SavedFeatures & ~XSaveArea.SafeFeatures, Is.EqualTo(XFeatures.None));
        });
    }

    [Test]
    public void Save_writes_a_standard_header_whatever_the_area_held()
    {
        XSaveArea area = default;
        area.Header.XCompBv = XSaveHeader.CompactedFormat | 7;
        area.Header.XStateBv = (XFeatures)ulong.MaxValue;
        area.AsSpan()[540] = 0x5A; // a reserved header byte
        area.Save();
        Assert.Multiple(() =>
        {
            Assert.That(area.Header.XCompBv, Is.Zero);
            Assert.That(area.Header.XStateBv & ~XSaveArea.SavedFeatures, Is.EqualTo(XFeatures.None));
            Assert.That(area.AsSpan()[528..576].IndexOfAnyExcept((byte)0), Is.EqualTo(-1));
            Assert.That(area.Legacy.MxcsrMask, Is.Not.EqualTo((Mxcsr)0), "every save writes MXCSR_MASK");
        });
        area.Load();
    }

    [Test]
    public unsafe void Save_into_a_saved_area_rewrites_any_changed_header_or_descriptor_bit()
    {
        // Save skips those stores when the bytes already hold what it would write: any one bit
        // changed since must still be put back.
        using var buffer = new AlignedBuffer(XSaveArea.Size);
        ref XSaveArea area = ref buffer.As<XSaveArea>();
        byte[] descriptor = Processor.LayoutDescriptorBytes.ToArray();
        var wrong = new System.Collections.Generic.List<int>();
        for (int bit = LayoutDescriptor.Offset * 8; bit < (XSaveArea.HeaderOffset + XSaveHeader.Size) * 8; bit++)
        {
            area.Save();
            area.AsSpan()[bit / 8] ^= (byte)(1 << (bit % 8));
            area.Save();

            Span<byte> bytes = area.AsSpan();
            bool normal = bytes[464..512].SequenceEqual(descriptor) &&
                          (area.Header.XStateBv & ~XSaveArea.SavedFeatures) == XFeatures.None &&
                          bytes[520..576].IndexOfAnyExcept((byte)0) == -1;
            if (!normal)
            {
                wrong.Add(bit);
            }
        }

        Assert.That(wrong, Is.Empty, "bits (area offset × 8 + bit) that survived a Save");
    }

    [Test]
    public void Save_records_this_CPU_layout_in_the_bytes_reserved_for_software()
    {
        XSaveArea area = default;
        area.AsSpan()[464..512].Fill(0xA5);
        area.Save();
        Assert.That(area.AsSpan()[464..512].ToArray(), Is.EqualTo(Processor.LayoutDescriptorBytes.ToArray()));
        Assert.That(area.Layout!.Agrees(XSaveLayout.Current!, XSaveArea.SavedFeatures), Is.True);
    }

    [Test]
    public void Rounding_control_loaded_with_Load_changes_managed_arithmetic_and_restoring_undoes_it()
    {
        double one = double.Parse("1", System.Globalization.CultureInfo.InvariantCulture), three = double.Parse("3", System.Globalization.CultureInfo.InvariantCulture);
        double nearest = one / three;
        XSaveArea up = _original;
        up.Legacy.Mxcsr = Cpu.WithRounding(_original.Legacy.Mxcsr, 2);

        up.Load();
        double roundedUp = one / three;
        Mxcsr live = Cpu.MxcsrControl();
        _original.Load();
        double restored = one / three;

        Assert.Multiple(() =>
        {
            Assert.That(live & (Mxcsr.RoundDown | Mxcsr.RoundUp), Is.EqualTo(Mxcsr.RoundUp));
            Assert.That(BitConverter.DoubleToInt64Bits(roundedUp), Is.EqualTo(BitConverter.DoubleToInt64Bits(nearest) + 1), "1/3 rounds up to the next double");
            Assert.That(restored, Is.EqualTo(nearest));
        });
    }

    private static X87Register Extended(ushort signAndExponent, ulong significand) =>
        new() { SignAndExponent = signAndExponent, Significand = significand };

    [Test]
    public void X87_registers_and_control_word_survive_Load_then_Save()
    {
        XSaveArea area = _original;
        area.Header.XStateBv |= XFeatures.X87;
        area.Legacy.Fcw = (X87ControlWord)0x0E7F; // round toward zero, extended precision, all masked
        area.Legacy.Fsw = 0; // TOP = 0
        area.Legacy.AbridgedFtw = 0xFF;
        for (int i = 0; i < 8; i++)
        {
            area.Legacy.St[i] = Extended((ushort)(0x3FFF + i), 0x8000_0000_0000_0000UL | ((ulong)i * 0x0101_0101_0101UL));
        }

        area.Load(RestoreHazards.X87RegistersInUse); // a full stack, on purpose: nothing x87 runs before the save
        XSaveArea back = Cpu.Saved();
        _original.Load();

        Assert.Multiple(() =>
        {
            Assert.That((ushort)back.Legacy.Fcw, Is.EqualTo(0x0E7F));
            Assert.That(back.Legacy.AbridgedFtw, Is.EqualTo(0xFF));
            Assert.That(back.Legacy.Top, Is.Zero);
            for (int i = 0; i < 8; i++)
            {
                Assert.That(back.Legacy.St[i].SignAndExponent, Is.EqualTo(0x3FFF + i), $"ST{i} exponent");
                Assert.That(back.Legacy.St[i].Significand, Is.EqualTo(area.Legacy.St[i].Significand), $"ST{i} significand");
            }
        });
    }

    [Test]
    public void Default_area_loads_as_the_init_state_and_never_unmasks_exceptions()
    {
        XSaveArea zero = default;
        zero.Load();
        XSaveArea back = Cpu.Saved();
        _original.Load();
        Assert.Multiple(() =>
        {
            Assert.That(back.Legacy.Mxcsr & ~(Mxcsr)0x3F, Is.EqualTo(Mxcsr.AllExceptionMasks), "MXCSR control bits are the init 0x1F80");
            Assert.That((ushort)back.Legacy.Fcw, Is.EqualTo(0x037F));
        });
        Assert.That(zero.AsSpan().IndexOfAnyExcept((byte)0), Is.EqualTo(-1), "the caller's area is untouched");
    }

    [Test]
    public void Zero_MXCSR_from_a_save_is_refused_and_loads_exactly_when_the_caller_allows_it()
    {
        XSaveArea area = _original;
        area.Legacy.Mxcsr = 0; // MXCSR_MASK is set: not "unset", but every SSE exception unmasked
        var refused = Assert.Throws<InvalidXSaveAreaException>(() => area.Load());
        Assert.That(refused!.Rule, Is.EqualTo(RestoreRule.MxcsrExceptionUnmasked));
        Assert.That(Cpu.MxcsrControl(), Is.EqualTo(_original.Legacy.Mxcsr & ~(Mxcsr)0x3F), "nothing was loaded");

        area.Load(RestoreHazards.UnmaskedSseExceptions);
        Mxcsr live = Cpu.MxcsrControl(); // XSAVE only: no floating-point work between the two restores
        _original.Load();
        Assert.That(live, Is.EqualTo((Mxcsr)0), "an area with MXCSR_MASK set is loaded exactly");
    }

    [Test]
    public void Unmasked_FCW_is_refused_and_loads_exactly_when_the_caller_allows_it()
    {
        XSaveArea area = _original;
        area.Header.XStateBv |= XFeatures.X87;
        area.Legacy.Fcw = (X87ControlWord)0x037B; // ZM clear
        Assert.That(Assert.Throws<InvalidXSaveAreaException>(() => area.Load())!.Rule, Is.EqualTo(RestoreRule.X87ExceptionUnmasked));

        area.Load(RestoreHazards.UnmaskedX87Exceptions); // managed code runs no x87 instruction
        XSaveArea live = Cpu.Saved();
        _original.Load();
        Assert.That(live.Legacy.Fcw, Is.EqualTo((X87ControlWord)0x037B));
    }

    [Test]
    public void FXRSTOR_refuses_unmasked_exceptions_and_loads_them_when_allowed()
    {
        LegacyRegion region = default;
        region.Save();
        region.Fcw = (X87ControlWord)0x037E; // IM clear
        Assert.That(Assert.Throws<InvalidXSaveAreaException>(() => region.Load())!.Rule, Is.EqualTo(RestoreRule.X87ExceptionUnmasked));
        region.Fcw = (X87ControlWord)0x037F;
        region.Mxcsr &= ~Mxcsr.InvalidOperationMask;
        Assert.That(Assert.Throws<InvalidXSaveAreaException>(() => region.Load())!.Rule, Is.EqualTo(RestoreRule.MxcsrExceptionUnmasked));

        region.Load(RestoreHazards.UnmaskedSseExceptions);
        Mxcsr live = Cpu.MxcsrControl();
        _original.Load();
        Assert.That(live & Mxcsr.InvalidOperationMask, Is.EqualTo((Mxcsr)0));
    }

    [Test]
    public void Saved_state_travels_as_bytes_and_loads_back()
    {
        XSaveArea area = _original;
        area.Legacy.Mxcsr = Cpu.WithRounding(_original.Legacy.Mxcsr, 2);
        byte[] bytes = area.ToArray();
        Assert.That(bytes, Has.Length.EqualTo(XSaveArea.Size));
        XSaveArea back = XSaveArea.FromBytes(bytes);
        Assert.That(back.ToArray(), Is.EqualTo(bytes));
        back.Load();
        Mxcsr live = Cpu.MxcsrControl();
        _original.Load();
        Assert.That(live & (Mxcsr)0x6000, Is.EqualTo(Mxcsr.RoundUp));
    }

    [Test]
    public void LoadUnchecked_restores_a_saved_area()
    {
        XSaveArea area = _original;
        area.Legacy.Mxcsr = Cpu.WithRounding(_original.Legacy.Mxcsr, 2);
        area.LoadUnchecked();
        Mxcsr live = Cpu.MxcsrControl();
        _original.LoadUnchecked();
        Assert.That(live & (Mxcsr)0x6000, Is.EqualTo(Mxcsr.RoundUp));
        Assert.That(Cpu.MxcsrControl() & (Mxcsr)0x6000, Is.EqualTo(_original.Legacy.Mxcsr & (Mxcsr)0x6000));
    }

    [Test]
    public void Clear_restores_the_init_control_words()
    {
        XSaveArea changed = _original;
        changed.Legacy.Mxcsr = Cpu.WithRounding(_original.Legacy.Mxcsr, 3) | Mxcsr.FlushToZero;
        changed.Load();
        XSaveArea.Clear();
        Mxcsr live = Cpu.MxcsrControl();
        Assert.That(live, Is.EqualTo(Mxcsr.AllExceptionMasks));
    }

    [TestCase(0)]
    [TestCase(8)]
    [TestCase(16)]
    [TestCase(63)]
    public unsafe void Any_alignment_round_trips(int misalignment)
    {
        using var buffer = new AlignedBuffer(XSaveArea.Size, misalignment);
        ref XSaveArea area = ref buffer.As<XSaveArea>();
        Assert.That(XSaveArea.IsAligned(buffer.Pointer), Is.EqualTo(misalignment == 0));
        area.Save();
        area.Legacy.Mxcsr = Cpu.WithRounding(area.Legacy.Mxcsr, 1);
        byte[] before = area.AsSpan().ToArray();
        area.Load();
        Mxcsr live = Cpu.MxcsrControl();
        _original.Load();
        byte[] after = area.AsSpan().ToArray();

        Assert.Multiple(() =>
        {
            Assert.That(live & (Mxcsr.RoundDown | Mxcsr.RoundUp), Is.EqualTo(Mxcsr.RoundDown));
            Assert.That(after, Is.EqualTo(before), "Load never writes the caller's area");
            Assert.That(after[464..512], Is.EqualTo(Processor.LayoutDescriptorBytes.ToArray()), "layout recorded on every path");
            Assert.That(BitConverter.ToUInt64(after, 520), Is.Zero, "XCOMP_BV");
        });
    }

    private sealed class Holder
    {
        public byte Pad = 1; // puts Area at an arbitrary offset in the object
        public XSaveArea Area;
    }

    [Test]
    public void Areas_in_arrays_and_class_fields_work()
    {
        var holder = new Holder();
        var array = new XSaveArea[3];
        holder.Area.Save();
        array[1].Save();
        GC.Collect(); // the heap may move them between calls
        holder.Area.Legacy.Mxcsr = Cpu.WithRounding(holder.Area.Legacy.Mxcsr, 3);
        holder.Area.Load();
        Mxcsr fromField = Cpu.MxcsrControl();
        array[1].Load();
        Mxcsr fromArray = Cpu.MxcsrControl();
        Assert.Multiple(() =>
        {
            Assert.That(fromField & (Mxcsr)0x6000, Is.EqualTo((Mxcsr)0x6000));
            Assert.That(fromArray & (Mxcsr)0x6000, Is.EqualTo(_original.Legacy.Mxcsr & (Mxcsr)0x6000));
        });
    }

    [Test]
    public void Legacy_region_round_trips_with_FXSAVE_and_FXRSTOR()
    {
        using var buffer = new AlignedBuffer(LegacyRegion.Size, 8); // misaligned: takes the bounce path
        ref LegacyRegion region = ref buffer.As<LegacyRegion>();
        region.Save();
        Assert.That(region.MxcsrMask, Is.Not.EqualTo((Mxcsr)0));
        region.Mxcsr = Cpu.WithRounding(region.Mxcsr, 1);
        region.Fcw = (X87ControlWord)0x0C7F;
        region.Load();
        LegacyRegion back = default;
        back.Save();
        _original.Load();
        Assert.Multiple(() =>
        {
            Assert.That(back.Mxcsr & (Mxcsr)0x6000, Is.EqualTo(Mxcsr.RoundDown));
            Assert.That((ushort)back.Fcw, Is.EqualTo(0x0C7F));
        });
    }

    [Test]
    public void Default_legacy_region_loads_init_control_words()
    {
        LegacyRegion zero = default;
        zero.Load();
        LegacyRegion back = default;
        back.Save();
        _original.Load();
        Assert.That(back.Mxcsr & ~(Mxcsr)0x3F, Is.EqualTo(Mxcsr.AllExceptionMasks));
        Assert.That((ushort)back.Fcw, Is.EqualTo(0x037F));
    }

    [TestCase(true)]
    [TestCase(false)]
    public unsafe void The_misaligned_restore_copies_a_component_only_when_XSTATE_BV_marks_it(bool avxPresent)
    {
        if ((XSaveArea.SavedFeatures & XFeatures.Avx) == 0)
        {
            Assert.Ignore("Needs AVX enabled in XCR0.");
        }

        using var source = new AlignedBuffer(XSaveArea.Size, 8);
        using var scratch = new AlignedBuffer(XSaveArea.Size);
        var from = (XSaveArea*)source.Pointer;
        var to = (XSaveArea*)scratch.Pointer;
        from->Save();
        from->Header.XStateBv = avxPresent ? from->Header.XStateBv | XFeatures.Avx : from->Header.XStateBv & ~XFeatures.Avx;
        new Span<byte>((byte*)from + 576, 256).Fill(0xA5); // YMM upper halves (standard offset)
        new Span<byte>(to, XSaveArea.Size).Fill(0xEE);

        XSaveArea.CopyWhatXRstorReads(from, to);

        byte[] expectedAvx = new byte[256];
        expectedAvx.AsSpan().Fill(avxPresent ? (byte)0xA5 : (byte)0xEE);
        Assert.Multiple(() =>
        {
            Assert.That(new Span<byte>(to, 512).ToArray(), Is.EqualTo(new Span<byte>(from, 512).ToArray()), "legacy region and layout descriptor");
            Assert.That(new Span<byte>((byte*)to + 512, 64).ToArray(), Is.EqualTo(new Span<byte>((byte*)from + 512, 64).ToArray()), "header");
            Assert.That(new Span<byte>((byte*)to + 576, 256).ToArray(), Is.EqualTo(expectedAvx), "AVX slot: copied only when marked present");
        });
    }
}
