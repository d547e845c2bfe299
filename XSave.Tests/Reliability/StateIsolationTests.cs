using System.Runtime.Intrinsics.X86;

namespace XSave.Tests.Reliability;

/// <summary>A thunk changes no extended state beyond what its instruction defines; Load/Load leaves the FP environment as it was.</summary>
[RequiresXSave]
public unsafe class StateIsolationTests
{
    private static readonly AssemblerRegisterYMM[] Ymm = [ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7, ymm8, ymm9, ymm10, ymm11, ymm12, ymm13, ymm14, ymm15];

    // (values in RDI, out in RSI, thunk in RDX, its first argument in RCX): set YMM0–15, call the
    // thunk with (argument, mask = all), store YMM0–15 and MXCSR. Callee-saved RBX/R12/R13 carry the pointers over the call.
    private static readonly Lazy<nint> AroundThunk = new(() => TestCode.Map(c =>
    {
        c.push(rbx);
        c.push(r12);
        c.push(r13);
        c.mov(rbx, rsi);
        c.mov(r12, rdx);
        c.mov(r13, rcx);
        for (int i = 0; i < 16; i++)
        {
            c.vmovdqu(Ymm[i], __[rdi + (32 * i)]);
        }

        c.mov(rdi, r13);
        c.mov(rsi, -1L);
        c.call(r12);
        for (int i = 0; i < 16; i++)
        {
            c.vmovdqu(__[rbx + (32 * i)], Ymm[i]);
        }

        c.stmxcsr(__dword_ptr[rbx + 512]);
        c.vzeroupper();
        c.pop(r13);
        c.pop(r12);
        c.pop(rbx);
        c.ret();
    }));

    private static nint RuntimeThunk(string name)
    {
        _ = XSaveArea.EnabledFeatures; // make sure the runtime's page is mapped
        ExecutableMapping page = ExecutableMemory.Mappings.Single(m => m.Owner == "XSave");
        string header = page.Listing.Split('\n').Single(l => l.Contains($".{name}(", StringComparison.Ordinal));
        return page.Address + Convert.ToInt32(header[2..6], 16);
    }

    [TestCase("XSave64")]
    [TestCase("FxSave64")]
    [TestCase("XGetBv")]
    public void A_save_thunk_leaves_every_vector_register_and_MXCSR_as_it_found_them(string thunk)
    {
        if (!Avx.IsSupported)
        {
            Assert.Ignore("Needs AVX.");
        }

        byte[] values = Enumerable.Range(0, 512).Select(i => (byte)((i * 13) + 5)).ToArray();
        byte[] after = new byte[512 + 4];
        using var buffer = new AlignedBuffer(XSaveArea.Size);
        uint mxcsrBefore = (uint)Cpu.Saved().Legacy.Mxcsr;
        byte* argument = thunk == "XGetBv" ? null : buffer.Pointer; // XGETBV's argument is the register: XCR0
        fixed (byte* input = values, output = after)
        {
            ((delegate* unmanaged<byte*, byte*, nint, byte*, void>)AroundThunk.Value)(input, output, RuntimeThunk(thunk), argument);
        }

        Assert.That(after[..512], Is.EqualTo(values), "YMM0–15 unchanged");
        Assert.That(BitConverter.ToUInt32(after, 512) & ~0x3Fu, Is.EqualTo(mxcsrBefore & ~0x3Fu), "MXCSR control unchanged");
    }

    [Test]
    public void Loading_another_state_then_the_saved_one_restores_the_FP_environment_exactly()
    {
        XSaveArea saved = Cpu.Saved();
        XSaveArea other = saved;
        other.Legacy.Mxcsr = Cpu.WithRounding(saved.Legacy.Mxcsr, 3) | Mxcsr.DenormalsAreZeros;
        other.Legacy.Fcw = (X87ControlWord)0x0C7F;
        other.Header.XStateBv |= XFeatures.X87;

        other.Load();
        saved.Load();
        XSaveArea back = Cpu.Saved();
        Assert.That(back.Legacy.Mxcsr, Is.EqualTo(saved.Legacy.Mxcsr), "MXCSR, flags included");
        Assert.That(back.Legacy.Fcw, Is.EqualTo(saved.Legacy.Fcw));
    }
}
