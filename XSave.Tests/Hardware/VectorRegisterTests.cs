using System.Runtime.Intrinsics.X86;

namespace XSave.Tests.Hardware;

/// <summary>
/// XMM/YMM contents against the hardware. Managed code may use any vector register between two
/// calls, so setting and reading the registers happens inside one piece of test-only machine
/// code around the instruction under test.
/// </summary>
[RequiresXSave]
public unsafe class VectorRegisterTests
{
    private const int YmmHi128Offset = 576; // standard format, every vendor (SDM vol. 1 §13.5.3)
    private static readonly AssemblerRegisterYMM[] Ymm = [ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7, ymm8, ymm9, ymm10, ymm11, ymm12, ymm13, ymm14, ymm15];

    // (values in RDI, area in RSI): load YMM0–15, then XSAVE64 exactly as the library's thunk does.
    private static readonly Lazy<nint> SetThenSave = new(() => TestCode.Map(c =>
    {
        for (int i = 0; i < 16; i++)
        {
            c.vmovdqu(Ymm[i], __[rdi + (32 * i)]);
        }

        c.mov(eax, (uint)XSaveArea.SavedFeatures);
        c.xor(edx, edx);
        c.xsave64(__[rsi]);
        c.vzeroupper();
        c.ret();
    }));

    // (area in RDI, values out in RSI): XRSTOR64, then store YMM0–15.
    private static readonly Lazy<nint> RestoreThenRead = new(() => TestCode.Map(c =>
    {
        c.mov(eax, (uint)XSaveArea.SavedFeatures);
        c.xor(edx, edx);
        c.xrstor64(__[rdi]);
        for (int i = 0; i < 16; i++)
        {
            c.vmovdqu(__[rsi + (32 * i)], Ymm[i]);
        }

        c.vzeroupper();
        c.ret();
    }));

    private static byte[] Pattern(int seed)
    {
        byte[] values = new byte[16 * 32];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (byte)((i * 7) + seed);
        }

        return values;
    }

    // An aligned area and a pattern of YMM values (32 bytes each), where the CPU has AVX.
    private static AlignedBuffer AvxCase(int seed, out byte[] values)
    {
        if (!Avx.IsSupported)
        {
            Assert.Ignore("Needs AVX.");
        }

        values = Pattern(seed);
        return new AlignedBuffer(XSaveArea.Size);
    }

    [Test]
    public void XSAVE_puts_XMM_in_the_legacy_view_and_YMM_upper_halves_at_576()
    {
        using AlignedBuffer buffer = AvxCase(3, out byte[] values);
        ref XSaveArea area = ref buffer.As<XSaveArea>();
        fixed (byte* source = values)
        {
            ((delegate* unmanaged<byte*, XSaveArea*, void>)SetThenSave.Value)(source, (XSaveArea*)buffer.Pointer);
        }

        Assert.That(area.Header.XStateBv & (XFeatures.Sse | XFeatures.Avx), Is.EqualTo(XFeatures.Sse | XFeatures.Avx));
        for (int i = 0; i < 16; i++)
        {
            XmmRegister xmm = area.Legacy.Xmm[i];
            Assert.That(BitConverter.GetBytes(xmm.Low), Is.EqualTo(values[(32 * i)..((32 * i) + 8)]), $"XMM{i} low");
            Assert.That(BitConverter.GetBytes(xmm.High), Is.EqualTo(values[((32 * i) + 8)..((32 * i) + 16)]), $"XMM{i} high");
            Assert.That(area.AsSpan().Slice(YmmHi128Offset + (16 * i), 16).ToArray(), Is.EqualTo(values[((32 * i) + 16)..((32 * i) + 32)]), $"YMM{i} upper half");
            byte[] view = new byte[32];
            System.Runtime.InteropServices.MemoryMarshal.Write(view, area.Ymm(i));
            Assert.That(view, Is.EqualTo(values[(32 * i)..((32 * i) + 32)]), $"YMM{i} through the view");
        }
    }

    [Test]
    public void An_area_built_through_the_views_restores_into_the_registers()
    {
        using AlignedBuffer buffer = AvxCase(11, out byte[] values);
        ref XSaveArea area = ref buffer.As<XSaveArea>();
        area.Save();
        area.Header.XStateBv |= XFeatures.Sse | XFeatures.Avx;
        for (int i = 0; i < 16; i++)
        {
            area.Legacy.Xmm[i] = new XmmRegister(BitConverter.ToUInt64(values, 32 * i), BitConverter.ToUInt64(values, (32 * i) + 8));
            values.AsSpan((32 * i) + 16, 16).CopyTo(area.AsSpan().Slice(YmmHi128Offset + (16 * i), 16));
        }

        byte[] read = new byte[values.Length];
        fixed (byte* destination = read)
        {
            ((delegate* unmanaged<XSaveArea*, byte*, void>)RestoreThenRead.Value)((XSaveArea*)buffer.Pointer, destination);
        }

        Assert.That(read, Is.EqualTo(values));
    }
}
