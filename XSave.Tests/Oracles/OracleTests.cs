using System.Buffers.Binary;
using System.IO;

namespace XSave.Tests.Oracles;

/// <summary>
/// Checks against code nobody here wrote: a gcc-built program executes XSAVE itself, and the
/// Linux kernel saves a stopped process's state for ptrace. The library's parser and views must
/// show exactly the values that program loaded.
/// </summary>
[RequiresXSave]
[NonParallelizable]
public class OracleTests
{
    private static string? s_oracle;

    [OneTimeSetUp]
    public void Build() => s_oracle = OracleProgram.Build();

    private static (int Exit, byte[] Output, string Errors) Run(string program, params string[] arguments) => OracleProgram.Run(program, [], arguments);

    private static (int Exit, byte[] Output, string Errors) Run(string program, byte[] input, params string[] arguments) => OracleProgram.Run(program, input, arguments);

    // oracle.c loads the same values the image fixtures use.
    private static byte Pattern(int register, int j) => ImageBuilder.Pattern(register, j);

    internal static void AssertOracleValues(XSaveArea area)
    {
        Assert.Multiple(() =>
        {
            Assert.That((ushort)area.Legacy.Fcw, Is.EqualTo(0x0F7F));
            Assert.That((uint)area.Legacy.Mxcsr & ~0x3Fu, Is.EqualTo(0x7F80));
            Assert.That(area.Legacy.Top, Is.EqualTo(6), "two values pushed");
            Assert.That(area.Legacy.St[0].ToDouble(), Is.EqualTo(1.0));
            Assert.That(area.Legacy.St[1].ToDouble(), Is.EqualTo(Math.PI));
            for (int r = 0; r < 16; r++)
            {
                byte[] ymm = new byte[32];
                System.Runtime.InteropServices.MemoryMarshal.Write(ymm, area.Ymm(r));
                for (int j = 0; j < 32; j++)
                {
                    Assert.That(ymm[j], Is.EqualTo(Pattern(r, j)), $"YMM{r} byte {j}");
                }
            }

            if (XSaveArea.EnabledFeatures.HasFlag(XFeatures.Avx512Hi16Zmm))
            {
                for (int r = 0; r < 32; r++)
                {
                    byte[] zmm = new byte[64];
                    System.Runtime.InteropServices.MemoryMarshal.Write(zmm, area.Zmm(r));
                    Assert.That(zmm, Is.EqualTo(Bytes(r)), $"ZMM{r}");
                }

                for (int k = 0; k < 8; k++)
                {
                    Assert.That(area.Opmask(k), Is.EqualTo(ImageBuilder.Opmask(k)), $"K{k}");
                }
            }
        });
    }

    private static byte[] Bytes(int register)
    {
        byte[] bytes = new byte[64];
        for (int j = 0; j < 64; j++)
        {
            bytes[j] = Pattern(register, j);
        }

        return bytes;
    }

    [Test]
    public void A_gcc_program_that_executes_XSAVE_itself_reads_back_its_values()
    {
        var (exit, image, errors) = Run(s_oracle!, "xsave");
        Assert.That(exit, Is.Zero, errors);
        XSaveImage parsed = XSaveImage.Parse(image);
        Assert.That(parsed.Length, Is.EqualTo(XSaveLayout.Current!.StandardSize(XSaveArea.EnabledFeatures)), "CPUID's size for XCR0");
        AssertOracleValues(parsed.Area);
    }

    [Test]
    public void A_core_file_written_by_gdb_holds_the_thread_values()
    {
        // gdb's gcore rebuilds NT_X86_XSTATE in Intel's offsets from what ptrace gave it; on a CPU
        // whose layout differs (AMD) its AVX-512 upper halves come out misplaced, so it is no
        // oracle there (docs/xsave-behaviour.md). The kernel's own core is, everywhere (below).
        if (!XSaveLayout.Current!.Agrees(XSaveLayout.Intel, XSaveArea.SavedFeatures))
        {
            Assert.Ignore($"gdb rebuilds the note in Intel's offsets; this CPU's layout ({XSaveLayout.Current.Name}) differs for XCR0 0x{(ulong)XSaveArea.EnabledFeatures:X}.");
        }

        string core = Path.Combine(Path.GetTempPath(), $"xsave-oracle-{Environment.ProcessId}.core");
        try
        {
            var (exit, _, errors) = Run("gdb", "-q", "-batch", "-ex", "run", "-ex", $"gcore {core}", "-ex", "kill", "--args", s_oracle!, "trap");
            if (!File.Exists(core))
            {
                Assert.Ignore($"gdb could not write a core here (exit {exit}): {errors}");
            }

            var threads = LinuxCoreFile.ReadThreads(File.ReadAllBytes(core));
            Assert.That(threads, Has.Count.EqualTo(1));
            Assert.That(threads[0].ThreadId, Is.GreaterThan(0));
            Assert.That(threads[0].State.Format, Is.EqualTo(XSaveImageFormat.LinuxXState));
            AssertOracleValues(threads[0].State.Area);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Ignore("gdb is not installed.");
        }
        finally
        {
            File.Delete(core);
        }
    }

    [Test]
    public void A_core_file_written_by_the_kernel_holds_the_thread_values()
    {
        string pattern = File.ReadAllText("/proc/sys/kernel/core_pattern").Trim();
        if (pattern.StartsWith('|') || pattern.Contains('/'))
        {
            Assert.Ignore($"The kernel's core_pattern here is '{pattern}': cores do not land in the working directory.");
        }

        string directory = Directory.CreateTempSubdirectory("xsave-kernel-core-").FullName;
        try
        {
            // int3 without a debugger: SIGTRAP, whose default action dumps core.
            var (exit, _, errors) = Run("sh", "-c", $"ulimit -c unlimited && cd '{directory}' && exec '{s_oracle}' trap");
            string[] cores = Directory.GetFiles(directory);
            if (cores.Length == 0)
            {
                Assert.Ignore($"No core was written (exit {exit}, core_pattern '{pattern}'): {errors}");
            }

            var threads = LinuxCoreFile.ReadThreads(File.ReadAllBytes(cores[0]));
            Assert.That(threads, Has.Count.EqualTo(1));
            XSaveImage state = threads[0].State;
            byte[] legacyNote = threads[0].LegacyNote!;
            Assert.Multiple(() =>
            {
                Assert.That(threads[0].ThreadId, Is.Positive, "pr_pid");
                Assert.That(threads[0].Signal, Is.EqualTo(5), "SIGTRAP stopped it");
                Assert.That(legacyNote, Is.Not.Null, "the kernel writes NT_PRFPREG beside NT_X86_XSTATE");
                // The two notes agree on the legacy region (bytes 464–511 are software's: Linux puts XCR0 there in one).
                Assert.That(legacyNote.AsSpan(0, 464).ToArray(), Is.EqualTo(state.Area.AsReadOnlySpan()[..464].ToArray()));
                Assert.That(state.Format, Is.EqualTo(XSaveImageFormat.LinuxXState));
                Assert.That(state.Xcr0, Is.EqualTo(XSaveArea.EnabledFeatures));
                Assert.That(state.Layout.Agrees(XSaveLayout.Current!, XSaveArea.SavedFeatures), Is.True, $"read in this CPU's layout ({state.Layout.Name})");
            });
            AssertOracleValues(state.Area);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void The_kernels_NT_X86_XSTATE_of_a_stopped_process_reads_back_its_values()
    {
        var (exit, image, errors) = Run(s_oracle!, "ptrace");
        if (exit == 3)
        {
            Assert.Ignore("PTRACE_GETREGSET was refused here (ptrace restricted in this sandbox).");
        }

        Assert.That(exit, Is.Zero, errors);
        XSaveImage parsed = XSaveImage.Parse(image);
        Assert.Multiple(() =>
        {
            Assert.That(parsed.Format, Is.EqualTo(XSaveImageFormat.LinuxXState));
            Assert.That(parsed.Xcr0, Is.EqualTo(XSaveArea.EnabledFeatures));
        });
        AssertOracleValues(parsed.Area);
        AssertOracleValues(parsed.ToStandard()); // converted for this CPU: same values
    }

    [Test]
    public void A_gcc_program_that_executes_XRSTOR_itself_holds_what_the_setters_wrote()
    {
        XSaveArea built = Hardware.SetterRoundTripTests.Built();
        XFeatures mask = XSaveArea.SavedFeatures;
        var (exit, output, errors) = Run(s_oracle!, built.ToArray(), "xrstor", $"0x{(ulong)mask:X}");
        Assert.That(exit, Is.Zero, errors);
        var registers = OracleProgram.Registers(System.Text.Encoding.ASCII.GetString(output));
        TestContext.Out.WriteLine($"the oracle printed {string.Join(", ", registers.Keys)}");
        bool wide = mask.HasFlag(XFeatures.Avx512Hi16Zmm);
        XFeatures absent = (XFeatures.Avx512Opmask | XFeatures.Avx512ZmmHi256 | XFeatures.Avx512Hi16Zmm | XFeatures.Pkru | XFeatures.MpxBndRegs) & ~mask;
        TestContext.Out.WriteLine($"not enabled on this CPU, so not compared: {(absent == 0 ? "nothing" : absent.ToString())}");
        Assert.Multiple(() =>
        {
            Assert.That(BinaryPrimitives.ReadUInt16BigEndian(registers["fcw0"]), Is.EqualTo((ushort)built.Legacy.Fcw));
            Assert.That((BinaryPrimitives.ReadUInt16BigEndian(registers["fsw0"]) >> 11) & 7, Is.EqualTo(built.Legacy.Top), "x87 TOP");
            for (int i = 0; i < 2; i++)
            {
                X87Register st = built.Legacy.St[i];
                Assert.That(BitConverter.ToUInt64(registers[$"st{i}"]), Is.EqualTo(st.Significand), $"ST{i} significand");
                Assert.That(BitConverter.ToUInt16(registers[$"st{i}"], 8), Is.EqualTo(st.SignAndExponent), $"ST{i} sign and exponent");
            }

            Assert.That(BinaryPrimitives.ReadUInt32BigEndian(registers["mxcsr0"]) & ~0x3Fu, Is.EqualTo((uint)built.Legacy.Mxcsr & ~0x3Fu));
            for (int r = 0; r < (wide ? 32 : 16); r++)
            {
                byte[] expected = wide ? Bytes(built.Zmm(r)) : Bytes(built.Ymm(r));
                Assert.That(registers[$"{(wide ? "zmm" : "ymm")}{r}"], Is.EqualTo(expected), $"register {r}");
            }

            for (int k = 0; wide && k < 8; k++)
            {
                Assert.That(BitConverter.ToUInt64(registers[$"k{k}"]), Is.EqualTo(built.Opmask(k)), $"K{k}");
            }

            if (mask.HasFlag(XFeatures.Pkru))
            {
                Assert.That(BitConverter.ToUInt32(registers["pkru0"]), Is.EqualTo(built.Pkru), "PKRU");
            }

            if (mask.HasFlag(XFeatures.MpxBndRegs))
            {
                Assert.That(BitConverter.ToUInt64(registers["bnd1"], 8), Is.EqualTo(built.Bnd(1).Upper), "BND1");
            }
        });
    }

    internal static byte[] Bytes<T>(T register)
        where T : unmanaged
    {
        byte[] bytes = new byte[System.Runtime.CompilerServices.Unsafe.SizeOf<T>()];
        System.Runtime.InteropServices.MemoryMarshal.Write(bytes, register);
        return bytes;
    }
}
