using System.Diagnostics;
using System.IO;
using System.Threading;

namespace XSave.Tests.Oracles;

/// <summary>
/// A debugger's edit, end to end: a gcc-built process loads known registers and stops itself;
/// <see cref="TracedThread"/> reads them from the kernel, changes a vector register and MXCSR
/// rounding through the setters, writes them back, and the process, once continued, prints what
/// it then holds.
/// </summary>
[RequiresXSave]
[NonParallelizable]
public class TracedThreadTests
{
    private static readonly YmmRegister Edited = new(new XmmRegister(0x1111_2222_3333_4444, 0x5555_6666_7777_8888), new XmmRegister(0x9999_AAAA_BBBB_CCCC, 0xDDDD_EEEE_FFFF_0000));

    private string _oracle = string.Empty;

    [OneTimeSetUp]
    public void Build() => _oracle = OracleProgram.Build();

    // The target is started through sh and left as an orphan, not as a System.Diagnostics.Process
    // child: .NET's SIGCHLD handler waits for its own children, would take a ptrace stop for an
    // exit, and lose the real one. Its output goes to a file.
    private sealed class StoppedOracle : IDisposable
    {
        private readonly string _output = Path.GetTempFileName();

        public StoppedOracle(string oracle)
        {
            var (_, pid, errors) = OracleProgram.Run("sh", [], "-c", $"'{oracle}' stop > '{_output}' 2>&1 < /dev/null & echo $!");
            Id = int.Parse(System.Text.Encoding.ASCII.GetString(pid).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            // Attach only once it has stopped itself: before that its registers are not loaded yet.
            for (int i = 0; i < 500 && State() != 'T'; i++)
            {
                Thread.Sleep(10);
            }

            Assert.That(State(), Is.EqualTo('T'), $"the target stopped itself ({errors})");
        }

        public int Id { get; }

        private char State()
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{Id}/stat");
                return stat[stat.LastIndexOf(')') + 2];
            }
            catch (IOException)
            {
                return 'X';
            }
        }

        public string ContinueAndReadReport()
        {
            Process.Start("kill", ["-CONT", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            for (int i = 0; i < 500 && State() is not ('X' or 'Z'); i++)
            {
                Thread.Sleep(10);
            }

            return File.ReadAllText(_output);
        }

        public void Dispose()
        {
            if (State() is not ('X' or 'Z'))
            {
                Process.Start("kill", ["-KILL", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            }

            File.Delete(_output);
        }
    }

    private static TracedThread AttachOrIgnore(int threadId)
    {
        try
        {
            return TracedThread.Attach(threadId);
        }
        catch (ThreadTracingException e) when (e.ErrorNumber == 1)
        {
            Assert.Ignore($"Tracing a child is not permitted here: {e.Message}");
            throw;
        }
    }

    [Test]
    public void A_stopped_process_gets_the_registers_written_through_the_setters()
    {
        using var target = new StoppedOracle(_oracle);
        XSaveImage before;
        XSaveImage written;
        using (TracedThread thread = AttachOrIgnore(target.Id))
        {
            before = thread.ReadState();
            XSaveArea state = before.Area;
            state.SetYmm(3, Edited);
            state.Legacy.SseRounding = RoundingControl.Up;
            thread.WriteState(in state);
            written = thread.ReadState();
        }

        var registers = OracleProgram.Registers(target.ContinueAndReadReport());
        bool wide = registers.ContainsKey("zmm3");
        Assert.Multiple(() =>
        {
            Assert.That(before.Format, Is.EqualTo(XSaveImageFormat.LinuxXState));
            OracleTests.AssertOracleValues(before.Area);
            Assert.That(written.Area.Ymm(3), Is.EqualTo(Edited), "the kernel holds the edit");
            Assert.That(registers[wide ? "zmm3" : "ymm3"][..32], Is.EqualTo(OracleTests.Bytes(Edited)), "YMM3 as the process sees it");
            Assert.That(registers[wide ? "zmm2" : "ymm2"][..32], Is.EqualTo(OracleTests.Bytes(before.Area.Ymm(2))), "YMM2 untouched");
            Assert.That(Convert.ToHexString(registers["mxcsr0"]), Is.EqualTo("00005F80"), "MXCSR 0x7F80 with rounding up");
            Assert.That(Convert.ToHexString(registers["fcw0"]), Is.EqualTo("0F7F"), "FCW untouched");
        });
    }

    [Test]
    public void A_write_refused_by_the_library_or_by_the_kernel_leaves_the_thread_untouched()
    {
        using var target = new StoppedOracle(_oracle);
        using (TracedThread thread = AttachOrIgnore(target.Id))
        {
            XSaveImage before = thread.ReadState();
            XSaveArea reserved = before.Area;
            reserved.SetYmm(3, Edited);
            reserved.Legacy.Mxcsr |= (Mxcsr)(1u << 31);
            var library = Assert.Throws<InvalidXSaveAreaException>(() => thread.WriteState(in reserved));

            byte[] image = before.ToLinuxXState();
            image[XSaveArea.HeaderOffset + 8] = 1; // XCOMP_BV: the kernel takes the standard format only
            image[576] ^= 0xFF; // and a changed YMM0 it must not load
            var kernel = Assert.Throws<ThreadTracingException>(() => thread.WriteState(image));
            byte[] after = thread.ReadState().ToLinuxXState();

            Assert.Multiple(() =>
            {
                Assert.That(library!.Rule, Is.EqualTo(RestoreRule.MxcsrReservedBits));
                Assert.That(kernel!.Operation, Is.EqualTo("PTRACE_SETREGSET"));
                Assert.That(kernel.Message, Does.Contain("EINVAL").And.Contain("unchanged"));
                Assert.That(after, Is.EqualTo(before.ToLinuxXState()), "the thread's state is as it was");
            });
        }

        var registers = OracleProgram.Registers(target.ContinueAndReadReport());
        Assert.That(Convert.ToHexString(registers["mxcsr0"]), Is.EqualTo("00007F80"), "the process ran on with its own values");
    }

    [Test]
    public void A_thread_that_does_not_exist_or_may_not_be_traced_is_a_clear_exception()
    {
        var missing = Assert.Throws<ThreadTracingException>(() => TracedThread.Attach(0x3FFF_FFFF));
        var self = Assert.Throws<ThreadTracingException>(() => TracedThread.Attach(Environment.ProcessId));
        Assert.Multiple(() =>
        {
            Assert.That(missing!.Message, Does.Contain("PTRACE_SEIZE").And.Contain("ESRCH").And.Contain("no such thread"));
            Assert.That(self!.ErrorNumber, Is.EqualTo(1), self.Message);
            Assert.That(self.Message, Does.Contain("EPERM").And.Contain("this process"));
        });
    }

    [Test]
    public void Only_the_thread_that_attached_may_use_the_tracee()
    {
        using var target = new StoppedOracle(_oracle);
        using TracedThread thread = AttachOrIgnore(target.Id);
        Exception? seen = null;
        var other = new Thread(() => seen = Record(() => thread.ReadState()));
        other.Start();
        other.Join();
        Assert.That(seen, Is.TypeOf<InvalidOperationException>().With.Message.Contains("attached"));
        Assert.That(thread.ReadState().Format, Is.EqualTo(XSaveImageFormat.LinuxXState), "and the attaching thread still can");
    }

    private static Exception? Record(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
