using System.IO;
using System.Runtime.InteropServices;

namespace XSave.Tests.Layout;

/// <summary>The layout descriptor in bytes 464–511: version 2 has room past component 19, version 1 areas still read.</summary>
public class LayoutDescriptorTests
{
    // An area written by the library when it recorded version 1 ("XSL1"): saved on an AMD Zen 4
    // without PKU (XCR0 0xE7), ZMM register i holding bytes 7i, 7i+1, …, K k holding
    // 0x0101…01 × (k+1), MXCSR rounding up. Data, not code: the writer of that format is gone.
    private static XSaveArea Version1Area()
    {
        using Stream stream = typeof(LayoutDescriptorTests).Assembly.GetManifestResourceStream("xsl1-zen4-avx512.area")
            ?? throw new InvalidOperationException("xsl1-zen4-avx512.area is not embedded in the test assembly.");
        var bytes = new byte[XSaveArea.Size];
        stream.ReadExactly(bytes);
        return MemoryMarshal.Read<XSaveArea>(bytes);
    }

    private static ZmmRegister Expected(int i)
    {
        var bytes = new byte[64];
        for (int j = 0; j < 64; j++)
        {
            bytes[j] = (byte)((i * 7) + j);
        }

        return MemoryMarshal.Read<ZmmRegister>(bytes);
    }

    [Test]
    public void A_version_1_area_reads_with_the_layout_it_recorded()
    {
        XSaveArea area = Version1Area();
        Assert.That(System.Text.Encoding.ASCII.GetString(area.AsReadOnlySpan().Slice(464, 4)), Is.EqualTo("XSL1"), "the data is a version 1 area");
        XSaveLayout layout = area.GetLayout();
        Assert.Multiple(() =>
        {
            Assert.That(layout.Slot(XFeatures.Avx512Opmask), Is.EqualTo(new ComponentSlot(832, 64)), layout.Name);
            Assert.That(layout.Slot(XFeatures.Avx512ZmmHi256), Is.EqualTo(new ComponentSlot(896, 512)));
            Assert.That(layout.Slot(XFeatures.Avx512Hi16Zmm), Is.EqualTo(new ComponentSlot(1408, 1024)));
            for (int i = 0; i < 32; i++)
            {
                Assert.That(area.Zmm(i), Is.EqualTo(Expected(i)), $"ZMM{i}");
            }

            for (int k = 0; k < 8; k++)
            {
                Assert.That(area.Opmask(k), Is.EqualTo(0x0101010101010101UL * (ulong)(k + 1)), $"K{k}");
            }

            Assert.That(area.Legacy.Mxcsr & Mxcsr.RoundTowardZero, Is.EqualTo(Mxcsr.RoundUp));
        });
    }

    [Test]
    [RequiresXSave]
    public void A_version_1_area_loads_where_the_CPU_lays_it_out_the_same()
    {
        XSaveArea area = Version1Area();
        XFeatures inUse = area.Header.XStateBv;
        if ((XSaveArea.SavedFeatures & inUse) != inUse || !XSaveLayout.Current!.Agrees(area.GetLayout(), inUse))
        {
            Assert.Ignore($"Needs a CPU that saves 0x{(ulong)inUse:X} at AMD Zen 4's offsets; this one saves 0x{(ulong)XSaveArea.SavedFeatures:X} ({XSaveLayout.Current!.Name}).");
        }

        XSaveArea original = Cpu.Saved(); // the fixture runs where XSAVE cannot too: no RestoresCpuState
        XSaveArea loaded;
        try
        {
            area.Load(); // the library's checks accept it: the recorded layout is this CPU's
            loaded = TestCode.LoadThenSave(in area);
        }
        finally
        {
            original.Load();
        }

        Assert.Multiple(() =>
        {
            for (int i = 0; i < 32; i++)
            {
                Assert.That(loaded.Zmm(i), Is.EqualTo(Expected(i)), $"ZMM{i} after the load");
            }

            Assert.That(System.Text.Encoding.ASCII.GetString(Cpu.Saved().AsReadOnlySpan().Slice(464, 4)), Is.EqualTo("XSL2"), "a save records version 2");
        });
    }

    [Test]
    public void Version_2_records_a_component_past_bit_19_and_every_known_layout_round_trips()
    {
        var descriptor = new byte[LayoutDescriptor.Length];
        foreach (XSaveLayout known in XSaveLayout.Known)
        {
            LayoutDescriptor.Write(known, descriptor);
            Assert.That(LayoutDescriptor.Read(descriptor), Is.EqualTo(known), known.Name);
        }

        // A newer writer's component 25 at 3000: its bit and offset fit, and this reader, which
        // knows no size for it, reads the rest unchanged.
        LayoutDescriptor.Write(XSaveLayout.AmdZen4, descriptor);
        ulong recorded = BitConverter.ToUInt64(descriptor, 4) | (1UL << 25);
        int count = System.Numerics.BitOperations.PopCount(recorded) - 1;
        Assert.That(count, Is.LessThan(LayoutDescriptor.MaxRecorded), "room left for it");
        BitConverter.TryWriteBytes(descriptor.AsSpan(4), recorded);
        BitConverter.TryWriteBytes(descriptor.AsSpan(12 + (2 * count)), (ushort)3000);
        BitConverter.TryWriteBytes(descriptor.AsSpan(44), LayoutDescriptor.Checksum(descriptor.AsSpan(0, 44)));
        Assert.That(LayoutDescriptor.Read(descriptor), Is.EqualTo(XSaveLayout.AmdZen4));
    }
}
