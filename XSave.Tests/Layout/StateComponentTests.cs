namespace XSave.Tests.Layout;

/// <summary>The component table is consistent with itself and with the facts it replaced.</summary>
public class StateComponentTests
{
    [Test]
    public void Each_row_sits_at_its_bit_and_its_registers_fit_its_slot()
    {
        Assert.Multiple(() =>
        {
            for (int bit = 0; bit < StateComponent.Count; bit++)
            {
                StateComponent c = StateComponent.All[bit];
                Assert.That(c.Bit, Is.EqualTo(bit), c.Name);
                Assert.That(c.Feature, Is.EqualTo((XFeatures)(1UL << bit)), c.Name);
                Assert.That(StateComponent.Of(c.Feature), Is.SameAs(c));
                if (c.Size > 0)
                {
                    Assert.That(c.RegisterBytes, Is.InRange(1, c.Size), $"{c.Name}: its registers lie inside its slot");
                }
            }
        });
    }

    [Test]
    public void Register_names_follow_the_manual_and_out_of_range_says_which_file()
    {
        Assert.Multiple(() =>
        {
            Assert.That(StateComponent.Of(XFeatures.Avx512Hi16Zmm).RegisterName(1), Is.EqualTo("ZMM17"));
            Assert.That(StateComponent.Of(XFeatures.Apx).RegisterName(15), Is.EqualTo("R31"));
            Assert.That(StateComponent.Of(XFeatures.MpxBndCsr).RegisterName(1), Is.EqualTo("BNDSTATUS"));
            Assert.That(StateComponent.Of(XFeatures.Pkru).RegisterName(0), Is.EqualTo("PKRU"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => StateComponent.Of(XFeatures.Avx512Opmask).RegisterName(8))!.Message, Does.Contain("K0–K7").And.Contain("there is no K8"));
            Assert.That(Assert.Throws<ArgumentException>(() => StateComponent.Of(XFeatures.None)), Is.Not.Null);
        });
    }

    [Test]
    public void The_safe_set_is_the_user_components_that_fit_the_page()
    {
        XFeatures fits = StateComponent.All.Where(c => c.Bit < 2 || c.HasView).Aggregate(XFeatures.None, (set, c) => set | c.Feature);
        Assert.That(StateComponent.All.Where(c => c.IsSaved).Select(c => c.Feature), Is.EqualTo(fits.Components()), "XSaveArea.SafeFeatures");
    }

    [Test]
    public void Generic_register_access_reads_and_writes_what_the_typed_views_do()
    {
        XSaveArea area = XSaveArea.Initial;
        area.RecordLayout(XSaveLayout.IntelApx);
        area.SetOpmask(3, 0x1122334455667788);
        area.SetRegister(XFeatures.Apx, 2, BitConverter.GetBytes(0xAABBCCDDUL));
        byte[] before = area.ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(BitConverter.ToUInt64(area.GetRegister(XFeatures.Avx512Opmask, 3)), Is.EqualTo(0x1122334455667788));
            Assert.That(area.Apx(18), Is.EqualTo(0xAABBCCDDUL));
            Assert.Throws<ArgumentException>(() => area.SetRegister(XFeatures.Apx, 0, new byte[4]), "wrong width");
            Assert.Throws<ArgumentOutOfRangeException>(() => area.SetRegister(XFeatures.Apx, 16, new byte[8]), "no R32");
            Assert.Throws<ArgumentOutOfRangeException>(() => area.SetRegister(XFeatures.ProcessorTrace, 0, new byte[8]), "no view");
            Assert.That(area.ToArray(), Is.EqualTo(before), "a refused write changes nothing");
        });
    }
}
