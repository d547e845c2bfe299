namespace XSave.Tests.Hardware;

/// <summary>
/// A state built with the setters is what the processor loads: <see cref="XSaveArea.Load()"/>
/// accepts it, and XRSTOR then XSAVE into a fresh area (one piece of machine code, so no managed
/// code touches a vector register between them) reads every enabled component back equal.
/// </summary>
[RequiresXSave]
public unsafe class SetterRoundTripTests : RestoresCpuState
{
    internal static XSaveArea Built()
    {
        XFeatures enabled = XSaveArea.SavedFeatures;
        XSaveArea area = Cpu.Saved();
        area.Legacy.SseRounding = RoundingControl.Down;
        area.Legacy.X87Rounding = RoundingControl.TowardZero;
        // Two values on the x87 stack, as two pushes leave them: TOP = 6, R6 and R7 tagged valid.
        area.Header.XStateBv |= XFeatures.X87;
        area.Legacy.Fsw = (X87StatusWord)(6 << 11);
        area.Legacy.AbridgedFtw = 0xC0;
        area.Legacy.St[0] = new X87Register { Significand = 0x8000_0000_0000_0000, SignAndExponent = 0x3FFF }; // 1.0
        area.Legacy.St[1] = new X87Register { Significand = 0xC90F_DAA2_2168_C235, SignAndExponent = 0x4000 }; // pi
        for (int r = 0; r < 16; r++)
        {
            area.SetYmm(r, new YmmRegister(new XmmRegister((ulong)r + 1, 0x1111 * (ulong)r), new XmmRegister(~(ulong)r, 0xABCD_0000 + (ulong)r)));
        }

        if (enabled.HasFlag(XFeatures.Avx512Hi16Zmm))
        {
            for (int r = 0; r < 32; r++)
            {
                YmmRegister low = r < 16 ? area.Ymm(r) : new YmmRegister(new XmmRegister(0x16, (ulong)r), new XmmRegister(0x17, (ulong)r));
                area.SetZmm(r, new ZmmRegister(low, new YmmRegister(new XmmRegister(0xE0 + (ulong)r, 0xE1), new XmmRegister(0xE2, 0xE3 + (ulong)r))));
            }

            for (int k = 0; k < 8; k++)
            {
                area.SetOpmask(k, 0x0F0F_0000_0000_0000UL | ((ulong)k * 0x101));
            }
        }

        if (enabled.HasFlag(XFeatures.Pkru))
        {
            area.SetPkru(0x5555_5554); // every key but 0 access-disabled: this thread touches only key 0 memory
        }

        if (enabled.HasFlag(XFeatures.MpxBndRegs))
        {
            // BNDCSR stays in its init state: enabling MPX (BNDCFGU) would turn bound checks on for
            // the code that follows, and qemu's model saves BNDSTATUS only while MPX is enabled.
            area.SetBnd(1, new BoundRegister(0x1000, ~0x1FFFUL));
        }

        if (enabled.HasFlag(XFeatures.AmxTileConfig))
        {
            byte[] config = new byte[64];
            config[0] = 1;  // palette 1
            config[16] = 64; // tile 0: 64 bytes a row
            config[48] = 16; // tile 0: 16 rows
            area.SetTileConfig(config);
        }

        if (enabled.HasFlag(XFeatures.Apx))
        {
            for (int r = 16; r < 32; r++)
            {
                area.SetApx(r, 0xA9A0_0000UL + (ulong)r);
            }
        }

        return area;
    }

    [Test]
    public void Every_component_this_CPU_enables_loads_and_saves_back_as_the_setters_wrote_it()
    {
        XSaveArea built = Built();
        built.Load(RestoreHazards.X87RegistersInUse); // the library's own checks accept what the setters built, the x87 stack named
        XSaveArea saved = TestCode.LoadThenSave(in built);

        XFeatures enabled = XSaveArea.SavedFeatures;
        TestContext.Out.WriteLine($"XCR0 0x{(ulong)XSaveArea.EnabledFeatures:X}, compared: {enabled}");
        Assert.Multiple(() =>
        {
            Assert.That(saved.Legacy.SseRounding, Is.EqualTo(RoundingControl.Down));
            Assert.That(saved.Legacy.X87Rounding, Is.EqualTo(RoundingControl.TowardZero));
            Assert.That(saved.Legacy.Top, Is.EqualTo(6), "x87 TOP");
            Assert.That(saved.Legacy.AbridgedFtw, Is.EqualTo(0xC0), "x87 tags");
            Assert.That(saved.Legacy.St[0].ToDouble(), Is.EqualTo(1.0), "ST0");
            Assert.That(saved.Legacy.St[1].ToDouble(), Is.EqualTo(Math.PI), "ST1");
            for (int r = 0; r < 16; r++)
            {
                Assert.That(saved.Ymm(r), Is.EqualTo(built.Ymm(r)), $"YMM{r}");
            }

            foreach (XFeatures component in enabled.Components().Where(c => c >= XFeatures.Avx))
            {
                Assert.That(saved.GetComponent(component).ToArray(), Is.EqualTo(built.GetComponent(component).ToArray()), component.ToString());
            }

            if (enabled.HasFlag(XFeatures.Avx512Hi16Zmm))
            {
                Assert.That(Enumerable.Range(0, 32).All(r => saved.Zmm(r) == built.Zmm(r)), Is.True, "ZMM0–31");
                Assert.That(saved.Opmask(7), Is.EqualTo(0x0F0F_0000_0000_0707UL), "K7");
            }

            if (enabled.HasFlag(XFeatures.Pkru))
            {
                Assert.That(saved.Pkru, Is.EqualTo(0x5555_5554u), "PKRU");
            }
        });
    }
}
