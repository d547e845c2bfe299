namespace XSave.Tests.Layout;

/// <summary>
/// The setters, in every known layout and in compacted areas, on any architecture: each value
/// reads back through its view, lands in the layout's slot, marks its component in use, and a
/// component that was in its init state reads zero everywhere it was not written.
/// </summary>
public class SetterTests
{
    private static XSaveLayout[] Layouts => [.. XSaveLayout.Known];

    private static XSaveArea AreaIn(XSaveLayout layout)
    {
        XSaveArea area = XSaveArea.Initial;
        area.RecordLayout(layout);
        return area;
    }

    private static XmmRegister Xmm(int register, int half) => new((ulong)(register + 1) * 0x0101010101010101UL, (ulong)half + 0xA0);

    private static YmmRegister Ymm(int register) => new(Xmm(register, 0), Xmm(register, 1));

    private static ZmmRegister Zmm(int register) => new(new YmmRegister(Xmm(register, 2), Xmm(register, 3)), new YmmRegister(Xmm(register, 4), Xmm(register, 5)));

    private static int Offset(XSaveLayout layout, XFeatures component) => layout.Slot(component)!.Value.Offset;

    [TestCaseSource(nameof(Layouts))]
    public void Every_YMM_register_set_reads_back_and_marks_SSE_and_AVX_in_use(XSaveLayout layout)
    {
        XSaveArea area = AreaIn(layout);
        for (int r = 0; r < 16; r++)
        {
            area.SetYmm(r, Ymm(r));
        }

        Assert.Multiple(() =>
        {
            for (int r = 0; r < 16; r++)
            {
                Assert.That(area.Ymm(r), Is.EqualTo(Ymm(r)), $"YMM{r}");
                Assert.That(area.Legacy.Xmm[r], Is.EqualTo(Ymm(r).Low), $"XMM{r} in the legacy region");
            }

            Assert.That(area.Header.XStateBv, Is.EqualTo(XFeatures.Sse | XFeatures.Avx));
            Assert.That(BitConverter.ToUInt64(area.ToArray(), 576 + 16), Is.EqualTo(Ymm(1).High.Low), "YMM1's upper half at 576 + 16");
        });
    }

    [TestCaseSource(nameof(Layouts))]
    public void Every_ZMM_register_set_reads_back_where_the_layout_has_AVX_512(XSaveLayout layout)
    {
        XSaveArea area = AreaIn(layout);
        if (layout.Slot(XFeatures.Avx512Hi16Zmm) is null)
        {
            byte[] before = area.ToArray();
            var refused = Assert.Throws<InvalidOperationException>(() => area.SetZmm(3, Zmm(3)));
            Assert.That(refused!.Message, Does.Contain("component 6").IgnoreCase.And.Contain(layout.Name));
            Assert.That(area.ToArray(), Is.EqualTo(before), "nothing written");
            return;
        }

        for (int r = 0; r < 32; r++)
        {
            area.SetZmm(r, Zmm(r));
        }

        Assert.Multiple(() =>
        {
            for (int r = 0; r < 32; r++)
            {
                Assert.That(area.Zmm(r), Is.EqualTo(Zmm(r)), $"ZMM{r}");
            }

            Assert.That(area.Header.XStateBv, Is.EqualTo(XFeatures.Sse | XFeatures.Avx | XFeatures.Avx512ZmmHi256 | XFeatures.Avx512Hi16Zmm));
            Assert.That(BitConverter.ToUInt64(area.ToArray(), Offset(layout, XFeatures.Avx512Hi16Zmm) + 64), Is.EqualTo(Zmm(17).Low.Low.Low), "ZMM17 in Hi16_ZMM");
        });
    }

    [TestCaseSource(nameof(Layouts))]
    public void Opmask_PKRU_MPX_TILECFG_and_APX_read_back_where_the_layout_has_a_slot(XSaveLayout layout)
    {
        byte[] tileConfig = [.. Enumerable.Range(1, 64).Select(i => (byte)i)];
        (XFeatures Component, Action<XSaveArea[]> Set, Func<XSaveArea, bool> ReadsBack)[] setters =
        [
            (XFeatures.Avx512Opmask, a => a[0].SetOpmask(5, 0x1234_5678_9ABC_DEF0), a => a.Opmask(5) == 0x1234_5678_9ABC_DEF0 && a.Opmask(4) == 0),
            (XFeatures.Pkru, a => a[0].SetPkru(0x5555_5554), a => a.Pkru == 0x5555_5554),
            (XFeatures.MpxBndRegs, a => a[0].SetBnd(2, new BoundRegister(0x1000, 0x2FFF)), a => a.Bnd(2) == new BoundRegister(0x1000, 0x2FFF) && a.Bnd(1) == default),
            (XFeatures.MpxBndCsr, a => a[0].SetBndCfgu(0x7001), a => a.BndCfgu == 0x7001 && a.BndStatus == 0),
            (XFeatures.MpxBndCsr, a => a[0].SetBndStatus(0x2), a => a.BndStatus == 0x2 && a.BndCfgu == 0),
            (XFeatures.AmxTileConfig, a => a[0].SetTileConfig(tileConfig), a => a.TileConfig.SequenceEqual(tileConfig)),
            (XFeatures.Apx, a => a[0].SetApx(29, 0xFEED), a => a.Apx(29) == 0xFEED && a.Apx(16) == 0),
        ];

        Assert.Multiple(() =>
        {
            foreach (var (component, set, readsBack) in setters)
            {
                XSaveArea[] area = [AreaIn(layout)];
                byte[] before = area[0].ToArray();
                if (layout.Slot(component) is null)
                {
                    Assert.Throws<InvalidOperationException>(() => set(area), $"{component}: no slot in {layout.Name}");
                    Assert.That(area[0].ToArray(), Is.EqualTo(before), $"{component}: nothing written");
                    continue;
                }

                set(area);
                Assert.That(readsBack(area[0]), Is.True, $"{component} in {layout.Name}");
                Assert.That(area[0].Header.XStateBv, Is.EqualTo(component), $"{component}: only its bit is set");
                Assert.That(area[0].ToArray().AsSpan(Offset(layout, component), layout.Slot(component)!.Value.Size).ToArray().Any(b => b != 0), Is.True, $"{component}: written at its slot");
            }
        });
    }

    [Test]
    public void Writing_a_component_in_its_init_state_clears_the_stale_bytes_of_its_slot()
    {
        XSaveArea area = AreaIn(XSaveLayout.Intel);
        area.SetOpmask(1, 11);
        area.SetOpmask(2, 22);
        area.SetYmm(7, Ymm(7));
        area.Header.XStateBv = 0; // init state: the slots keep stale bytes the CPU would not load
        Assert.That(area.Opmask(1), Is.Zero, "a component in its init state reads zero");

        area.SetOpmask(2, 33);
        area.SetYmm(0, Ymm(0));
        Assert.Multiple(() =>
        {
            Assert.That(area.Opmask(2), Is.EqualTo(33));
            Assert.That(area.Opmask(1), Is.Zero, "the stale K1 was cleared, not revived");
            Assert.That(area.Ymm(7), Is.EqualTo(default(YmmRegister)), "the stale YMM7 (XMM and upper half) was cleared");
            Assert.That(area.Legacy.Xmm[7], Is.EqualTo(default(XmmRegister)));
            Assert.That(area.Header.XStateBv, Is.EqualTo(XFeatures.Sse | XFeatures.Avx | XFeatures.Avx512Opmask));
        });
    }

    [Test]
    public void A_compacted_area_is_written_in_place_when_it_has_the_slot_and_refused_when_not()
    {
        XSaveArea standard = AreaIn(XSaveLayout.AmdZen4);
        standard.SetOpmask(0, 1);
        standard.Legacy.Mxcsr = (Mxcsr)0x1F80;
        standard.Header.XStateBv |= XFeatures.X87 | XFeatures.Sse;
        XSaveArea compacted = XSaveImage.Parse(standard.ToArray()).ToCompacted();
        Assert.That(compacted.Header.IsCompacted, Is.True);

        compacted.SetOpmask(6, 0x66);
        byte[] before = compacted.ToArray();
        var refused = Assert.Throws<InvalidOperationException>(() => compacted.SetPkru(4));
        Assert.Multiple(() =>
        {
            Assert.That(compacted.Opmask(6), Is.EqualTo(0x66));
            Assert.That(compacted.Opmask(0), Is.EqualTo(1));
            Assert.That(refused!.Message, Does.Contain("compacted").And.Contain("ToStandard"));
            Assert.That(compacted.ToArray(), Is.EqualTo(before), "nothing written by the refusal");
        });
    }

    [Test]
    public void A_setter_records_the_layout_it_wrote_in_so_the_area_reads_the_same_anywhere()
    {
        XSaveArea area = XSaveArea.Initial;
        if (XSaveLayout.Current is not { } current)
        {
            byte[] before = area.ToArray();
            var refused = Assert.Throws<InvalidOperationException>(() => area.SetOpmask(0, 1));
            Assert.That(refused!.Message, Does.Contain("records no layout"));
            Assert.That(area.ToArray(), Is.EqualTo(before), "nothing written");
            area.SetYmm(1, Ymm(1)); // AVX is at 576 in every standard layout: no layout needed
            Assert.That(area.Ymm(1), Is.EqualTo(Ymm(1)));
            return;
        }

        area.SetYmm(1, Ymm(1));
        XSaveImage image = XSaveImage.Parse(area.ToArray());
        Assert.Multiple(() =>
        {
            Assert.That(image.Layout.Agrees(current, XSaveArea.SafeFeatures), Is.True, image.Layout.Name);
            Assert.That(image.Area.Ymm(1), Is.EqualTo(Ymm(1)));
        });
    }

    [Test]
    public void Wrong_components_and_sizes_are_refused_with_the_reason()
    {
        XSaveArea area = AreaIn(XSaveLayout.Intel);
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => area.SetComponent(1, new byte[256]))!.Message, Does.Contain("Legacy"));
            Assert.Throws<ArgumentOutOfRangeException>(() => area.SetComponent(18, new byte[8192]));
            Assert.Throws<ArgumentOutOfRangeException>(() => area.SetComponent(64, new byte[8]));
            Assert.That(Assert.Throws<ArgumentException>(() => area.SetComponent(XFeatures.Pkru, new byte[4]))!.Message, Does.Contain("8 bytes"));
            Assert.Throws<ArgumentOutOfRangeException>(() => area.SetYmm(16, default));
            Assert.Throws<ArgumentOutOfRangeException>(() => area.SetZmm(32, default));
            Assert.Throws<ArgumentOutOfRangeException>(() => area.SetOpmask(8, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => area.SetBnd(4, default));
            Assert.Throws<ArgumentOutOfRangeException>(() => area.SetApx(15, 0));
            Assert.Throws<ArgumentException>(() => area.SetTileConfig(new byte[63]));
            Assert.That(area.Header.XStateBv, Is.EqualTo((XFeatures)0), "nothing was marked in use");
        });
    }

    [Test]
    public void Register_numbers_out_of_range_name_the_register_file_and_the_number_given()
    {
        XSaveArea area = default;
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => area.Ymm(-1))!.Message, Does.Contain("YMM registers are numbered 0–15; there is no YMM-1").And.Not.Contain("4294967295"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => area.SetYmm(16, default))!.Message, Does.Contain("there is no YMM16"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => area.Zmm(32))!.Message, Does.Contain("ZMM registers are numbered 0–31"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => area.Opmask(-5))!.Message, Does.Contain("there is no K-5"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => area.SetBnd(4, default))!.ParamName, Is.EqualTo("index"));
        });
    }

    [Test]
    public void SetComponent_writes_what_GetComponent_reads()
    {
        XSaveArea area = AreaIn(XSaveLayout.IntelApx);
        byte[] apx = [.. Enumerable.Range(0, 128).Select(i => (byte)(i * 3))];
        area.SetComponent(XFeatures.Apx, apx);
        Assert.Multiple(() =>
        {
            Assert.That(area.GetComponent(XFeatures.Apx).ToArray(), Is.EqualTo(apx));
            Assert.That(area.Apx(16), Is.EqualTo(BitConverter.ToUInt64(apx, 0)));
            Assert.That(area.ToArray().AsSpan(960, 128).ToArray(), Is.EqualTo(apx), "R16–R31 reuse the MPX slot at 960");
        });
    }

    [Test]
    public void A_PKRU_that_locks_key_0_is_stored_and_Load_refuses_it()
    {
        const XFeatures Zen3 = XFeatures.X87 | XFeatures.Sse | XFeatures.Avx | XFeatures.Pkru;
        XSaveArea area = AreaIn(XSaveLayout.AmdZen4);
        area.SetPkru(0x5555_5555); // bit 0: key 0 access-disabled
        var refused = Assert.Throws<InvalidXSaveAreaException>(() => RestoreValidation.ThrowIfInvalid(in area, XSaveArea.SafeFeatures, Zen3, 0xFFFF, true, XSaveLayout.AmdZen4));
        Assert.Multiple(() =>
        {
            Assert.That(area.Pkru, Is.EqualTo(0x5555_5555u), "stored as given");
            Assert.That(refused!.Rule, Is.EqualTo(RestoreRule.PkruLocksKeyZero));
            Assert.DoesNotThrow(() => RestoreValidation.ThrowIfInvalid(in area, XSaveArea.SafeFeatures, Zen3, 0xFFFF, true, XSaveLayout.AmdZen4, RestoreHazards.KeyZeroLocked));
        });
    }
}
