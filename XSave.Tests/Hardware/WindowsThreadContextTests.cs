using System.Threading;

namespace XSave.Tests.Hardware;

/// <summary>
/// <see cref="TracedThread"/> on Windows (GetThreadContext/SetThreadContext with CONTEXT_XSTATE):
/// a thread loads known XMM/YMM registers and MXCSR from machine code and spins; the test stops
/// it, reads its state, writes an edit, and the thread, released, stores what it then holds.
/// The Linux path is <c>Oracles/TracedThreadTests</c> (ptrace, another process).
/// </summary>
[RequiresXSave]
[NonParallelizable]
public unsafe class WindowsThreadContextTests
{
    private const int MxcsrIn = 512, MxcsrRestore = 516, BlockSize = 520;
    private const uint Loaded = 0x5F80; // rounding up, every exception masked: unlike any thread's default

    private static readonly Lazy<nint> SseSpinner = new(() => Spinner(avx: false));
    private static readonly Lazy<nint> AvxSpinner = new(() => Spinner(avx: true));

    [SetUp]
    public void OnlyOnWindows()
    {
        if (!OperatingSystem.IsWindows())
        {
            Assert.Ignore("Thread contexts are Windows's; on Linux TracedThreadTests covers ptrace.");
        }
    }

    private static YmmRegister Known(int i) => new(
        new XmmRegister(0x0101_0101_0000_0000UL * (ulong)(i + 1), 0xA0A0_0000_0000_0000UL | (uint)i),
        new XmmRegister(0xB0B0_0000_0000_0000UL | (uint)i, 0xC0C0_0000_0000_0000UL | (uint)i));

    private static readonly YmmRegister Edited = new(new XmmRegister(0x1111_2222_3333_4444, 0x5555_6666_7777_8888), new XmmRegister(0x9999_AAAA_BBBB_CCCC, 0xDDDD_EEEE_FFFF_0000));

    private static bool WithAvx => XSaveArea.SavedFeatures.HasFlag(XFeatures.Avx);

    // Wine's ntdll exports wine_get_version; Windows's does not.
    private static bool IsWine => System.Runtime.InteropServices.NativeLibrary.TryGetExport(System.Runtime.InteropServices.NativeLibrary.Load("ntdll"), "wine_get_version", out _);

    [Test]
    public void Reads_a_stopped_threads_vector_registers_and_MXCSR_from_its_context()
    {
        using var target = new SpinningThread();
        XSaveImage image;
        using (TracedThread thread = TracedThread.Attach(target.ThreadId))
        {
            image = thread.ReadState();
        }

        XSaveArea area = image.Area;
        TestContext.Out.WriteLine($"context features 0x{(ulong)image.Xcr0!.Value:X}, in use 0x{(ulong)image.InUse:X}, dropped 0x{(ulong)image.Dropped:X}");
        Assert.Multiple(() =>
        {
            Assert.That((uint)area.Legacy.Mxcsr & ~0x3Fu, Is.EqualTo(Loaded));
            for (int i = 0; i < 16; i++)
            {
                Assert.That(area.Legacy.Xmm[i], Is.EqualTo(Known(i).Low), $"XMM{i}");
            }

            if (WithAvx && image.Xcr0.Value.HasFlag(XFeatures.Avx))
            {
                Assert.That(image.InUse.HasFlag(XFeatures.Avx), "the YMM upper halves are not zero, so AVX is in use");
                for (int i = 0; i < 16; i++)
                {
                    Assert.That(area.Ymm(i).High, Is.EqualTo(Known(i).High), $"YMM{i} upper half");
                }
            }
        });
        Assert.That(target.Release(), Is.EqualTo(Known(0).Low), "the thread ran on with its own XMM0");
    }

    [Test]
    public void An_edit_written_to_a_stopped_thread_is_what_it_holds_when_it_runs_again()
    {
        using var target = new SpinningThread();
        using (TracedThread thread = TracedThread.Attach(target.ThreadId))
        {
            XSaveArea area = thread.ReadState().Area;
            area.Legacy.Xmm[3] = Edited.Low;
            area.Legacy.SseRounding = RoundingControl.Down;
            thread.WriteState(in area);
        }

        target.Release();
        Assert.Multiple(() =>
        {
            Assert.That(target.Stored(3).Low, Is.EqualTo(Edited.Low), "XMM3");
            Assert.That(target.StoredMxcsr & ~0x3Fu, Is.EqualTo((Loaded & ~(3u << 13)) | (1u << 13)), "MXCSR rounding down");
            Assert.That(target.Stored(2).Low, Is.EqualTo(Known(2).Low), "XMM2 as it was");
        });
    }

    [Test]
    public void An_edited_YMM_upper_half_is_in_the_context_and_in_the_thread_when_it_runs_again()
    {
        if (!WithAvx)
        {
            Assert.Ignore("The CPU or OS does not enable AVX.");
        }

        using var target = new SpinningThread();
        XSaveImage written;
        using (TracedThread thread = TracedThread.Attach(target.ThreadId))
        {
            XSaveArea area = thread.ReadState().Area;
            area.SetYmm(3, Edited);
            thread.WriteState(in area);
            written = thread.ReadState();
        }

        target.Release();
        Assert.That(written.Area.Ymm(3), Is.EqualTo(Edited), "the context holds the edit");
        if (IsWine)
        {
            Assert.Ignore($"Wine defect: Wine 8 keeps a written context's YMM upper halves (GetThreadContext returns them) but resumes the thread with them zeroed (here: {target.Stored(3).High}).");
        }

        Assert.That(target.Stored(3), Is.EqualTo(Edited), "YMM3 in the thread");
    }

    [Test]
    public void A_refused_state_leaves_the_thread_as_it_was()
    {
        using var target = new SpinningThread();
        using (TracedThread thread = TracedThread.Attach(target.ThreadId))
        {
            XSaveArea area = thread.ReadState().Area;
            area.Legacy.Xmm[3] = default;
            area.Legacy.Mxcsr &= ~Mxcsr.ZeroDivideMask;
            var refused = Assert.Throws<InvalidXSaveAreaException>(() => thread.WriteState(in area));
            Assert.That(refused!.Rule, Is.EqualTo(RestoreRule.MxcsrExceptionUnmasked));
        }

        target.Release();
        Assert.Multiple(() =>
        {
            Assert.That(target.Stored(3).Low, Is.EqualTo(Known(3).Low));
            Assert.That(target.StoredMxcsr & ~0x3Fu, Is.EqualTo(Loaded));
        });
    }

    [Test]
    public void The_calling_thread_or_a_missing_one_is_a_clear_exception()
    {
        var self = Assert.Throws<ThreadTracingException>(() => TracedThread.Attach(WindowsThreads.GetCurrentThreadId()));
        var missing = Assert.Throws<ThreadTracingException>(() => TracedThread.Attach(0x7FFF_FFF0));
        Assert.Multiple(() =>
        {
            Assert.That(self!.Message, Does.Contain("cannot stop itself"));
            Assert.That(missing!.Operation, Is.EqualTo("OpenThread"), missing.Message);
            Assert.That(missing.ErrorNumber, Is.Not.Zero, missing.Message);
        });
    }

    // A thread that loads the known registers from machine code, says so, spins until released,
    // then stores its vector registers and MXCSR and restores the MXCSR it had.
    private sealed class SpinningThread : IDisposable
    {
        private readonly AlignedBuffer _input = new(BlockSize), _output = new(BlockSize), _flags = new(8);
        private readonly Thread _thread;
        private int _threadId;

        public SpinningThread()
        {
            for (int i = 0; i < 16; i++)
            {
                ((YmmRegister*)_input.Pointer)[i] = Known(i);
            }

            *(uint*)(_input.Pointer + MxcsrIn) = Loaded;
            *(uint*)(_input.Pointer + MxcsrRestore) = (uint)Cpu.MxcsrControl();
            ContextHasAvx = WithAvx;
            nint code = WithAvx ? AvxSpinner.Value : SseSpinner.Value;
            _thread = new Thread(() =>
            {
                Volatile.Write(ref _threadId, WindowsThreads.GetCurrentThreadId());
                ((delegate* unmanaged<byte*, byte*, byte*, void>)code)(_input.Pointer, _flags.Pointer, _output.Pointer);
            })
            { IsBackground = true };
            _thread.Start();
            long deadline = Environment.TickCount64 + 10_000;
            while (Volatile.Read(ref *(int*)(_flags.Pointer + 4)) == 0)
            {
                Assert.That(Environment.TickCount64, Is.LessThan(deadline), "the thread loaded its registers");
                Thread.Sleep(1);
            }
        }

        public int ThreadId => Volatile.Read(ref _threadId);

        public bool ContextHasAvx { get; }

        public uint StoredMxcsr => *(uint*)(_output.Pointer + MxcsrIn);

        public YmmRegister Stored(int i) => ((YmmRegister*)_output.Pointer)[i];

        public XmmRegister Release()
        {
            Volatile.Write(ref *(int*)_flags.Pointer, 1);
            Assert.That(_thread.Join(10_000), "the thread ran on");
            return Stored(0).Low;
        }

        public void Dispose()
        {
            if (_thread.IsAlive)
            {
                Release();
            }

            _input.Dispose();
            _output.Dispose();
            _flags.Dispose();
        }
    }

    // RDI: the input block, RSI: the flags (0: released, 4: ready), RDX: the output block.
    private static nint Spinner(bool avx) => TestCode.Map(c =>
    {
        AssemblerRegisterXMM[] xmm = [xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15];
        AssemblerRegisterYMM[] ymm = [ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7, ymm8, ymm9, ymm10, ymm11, ymm12, ymm13, ymm14, ymm15];
        Label spin = c.CreateLabel();
        c.ldmxcsr(__dword_ptr[rdi + MxcsrIn]);
        for (int i = 0; i < 16; i++)
        {
            if (avx)
            {
                c.vmovdqu(ymm[i], __ymmword_ptr[rdi + (32 * i)]);
            }
            else
            {
                c.movdqu(xmm[i], __xmmword_ptr[rdi + (32 * i)]);
            }
        }

        c.mov(__dword_ptr[rsi + 4], 1);
        c.Label(ref spin);
        c.pause();
        c.cmp(__dword_ptr[rsi], 0);
        c.je(spin);
        for (int i = 0; i < 16; i++)
        {
            if (avx)
            {
                c.vmovdqu(__ymmword_ptr[rdx + (32 * i)], ymm[i]);
            }
            else
            {
                c.movdqu(__xmmword_ptr[rdx + (32 * i)], xmm[i]);
            }
        }

        if (avx)
        {
            c.vzeroupper();
        }

        c.stmxcsr(__dword_ptr[rdx + MxcsrIn]);
        c.ldmxcsr(__dword_ptr[rdi + MxcsrRestore]);
        c.ret();
    });
}
