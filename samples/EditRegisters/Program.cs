// A debugger's register edit, end to end (Linux x86-64): start a small process that loads known
// values into YMM3 and MXCSR and stops itself, attach to it with ptrace, read its extended state,
// change YMM3 and the SSE rounding mode through the setters, write the state back, let it run on,
// and check what it then reports holding. Exits 0 only when it reports the edit.
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.Intrinsics.X86;
using System.Threading;
using XSave;
using XSave.Diagnostics;

string target = Path.Combine(AppContext.BaseDirectory, "edit-target");
if (!OperatingSystem.IsLinux() || !XSaveArea.IsSupported || !Avx.IsSupported)
{
    Console.WriteLine("This sample edits another process's AVX registers with Linux's ptrace: it needs Linux on x86-64 with AVX.");
    return 0;
}

if (!File.Exists(target))
{
    Console.Error.WriteLine($"{target} is missing: the build compiles target.c with gcc (apt-get install gcc).");
    return 1;
}

// Through sh, as an orphan: a System.Diagnostics.Process child would be reaped by .NET, which
// takes a ptrace stop for an exit (see TracedThread).
string output = Path.GetTempFileName();
var launch = new ProcessStartInfo("sh", ["-c", $"'{target}' > '{output}' 2>&1 < /dev/null & echo $!"]) { RedirectStandardOutput = true };
int pid;
using (Process shell = Process.Start(launch)!)
{
    pid = int.Parse(shell.StandardOutput.ReadToEnd(), CultureInfo.InvariantCulture);
    shell.WaitForExit();
}

WaitFor(pid, state => state == 'T', "stop itself");
Console.WriteLine(File.ReadAllText(output).TrimEnd());

var edited = new YmmRegister(new XmmRegister(0x0123_4567_89AB_CDEF, 0x1122_3344_5566_7788), new XmmRegister(0x99AA_BBCC_DDEE_FF00, 0xFEDC_BA98_7654_3210));
using (TracedThread thread = TracedThread.Attach(pid))
{
    XSaveImage image = thread.ReadState();
    XSaveArea state = image.Area;
    Console.WriteLine($"read with PTRACE_GETREGSET: {image.Length} bytes, XCR0 0x{(ulong)image.Xcr0!.Value:X}, {image.Layout.Name} layout");
    Console.WriteLine($"  YMM3  = {state.Ymm(3)}");
    Console.WriteLine($"  MXCSR = 0x{(uint)state.Legacy.Mxcsr:X4} (rounding {state.Legacy.SseRounding})");

    state.SetYmm(3, edited);
    state.Legacy.SseRounding = RoundingControl.Up;
    thread.WriteState(in state);
    Console.WriteLine("wrote with PTRACE_SETREGSET:");
    Console.WriteLine($"  YMM3  = {edited}");
    Console.WriteLine($"  MXCSR = 0x{(uint)state.Legacy.Mxcsr:X4} (rounding {state.Legacy.SseRounding})");
}

Kill(pid, 18); // SIGCONT: it stopped itself, so detaching leaves it stopped
WaitFor(pid, state => state is 'X' or 'Z', "finish");
string[] report = File.ReadAllLines(output);
File.Delete(output);
foreach (string line in report.Skip(2))
{
    Console.WriteLine(line);
}

bool ymm = report.Contains($"target: now holds YMM3 = {edited}");
bool mxcsr = report.Contains("target: now holds MXCSR = 0x5F80");
bool roundedUp = report.Contains("target: 1.0f / 3.0f = 0x3EAAAAAB");
Console.WriteLine(ymm && mxcsr && roundedUp
    ? "The target holds the edited YMM3 and MXCSR, and rounds 1/3 up."
    : $"The edit did not arrive: YMM3 {(ymm ? "ok" : "wrong")}, MXCSR {(mxcsr ? "ok" : "wrong")}, rounding {(roundedUp ? "ok" : "wrong")}.");
return ymm && mxcsr && roundedUp ? 0 : 1;

static void WaitFor(int pid, Func<char, bool> done, string what)
{
    for (int i = 0; i < 1000; i++)
    {
        string stat = SafeRead($"/proc/{pid}/stat");
        if (done(stat.Length == 0 ? 'X' : stat[stat.LastIndexOf(')') + 2]))
        {
            return;
        }

        Thread.Sleep(10);
    }

    throw new TimeoutException($"The target did not {what} within 10 seconds.");
}

static string SafeRead(string path)
{
    try
    {
        return File.ReadAllText(path);
    }
    catch (IOException)
    {
        return string.Empty;
    }
}

static void Kill(int pid, int signal)
{
    if (Libc.Kill(pid, signal) != 0)
    {
        throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
    }
}

internal static partial class Libc
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}
