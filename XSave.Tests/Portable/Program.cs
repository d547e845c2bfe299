// Runs the tests compiled in (see the project file) with NUnit's assembly runner and ends with "N passed, N failed, N skipped".
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using NUnit.Framework.Api;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

string cpu = XSave.XSaveArea.IsSupported
    ? $"XCR0 0x{(ulong)XSave.XSaveArea.EnabledFeatures:X}, layout: {XSave.XSaveLayout.Current?.Name}"
    : "no XSAVE";
// How a misaligned area's bounce copies: in managed 64-byte vectors, or long blocks through the C library's memmove (not on Windows).
string copies = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "bounce copies in 64-byte vectors"
    : OperatingSystem.IsWindows() ? "bounce copies in managed vectors" : "long bounce copies through memmove";
Console.WriteLine($"XSave tests on {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.ProcessArchitecture} ({RuntimeInformation.OSDescription}; {cpu}; {copies})");
// XSAVE_TEST_TRACE=1 names each test as it starts: under an emulator a crash ends the process.
ITestListener listener = Environment.GetEnvironmentVariable("XSAVE_TEST_TRACE") == "1" ? new Trace() : TestListener.NULL;
if (listener is Trace)
{
    AppDomain.CurrentDomain.FirstChanceException += (_, e) => Console.Error.WriteLine($"  first chance: {e.Exception.GetType().Name}: {e.Exception.StackTrace?.Split('\n')[0]}");
}

var runner = new NUnitTestAssemblyRunner(new DefaultTestAssemblyBuilder());
runner.Load(typeof(XSave.Tests.Components.ImageParsingTests).Assembly, new Dictionary<string, object>());
ITestResult result = runner.Run(listener, TestFilter.Empty);
Report(result);
int skipped = result.SkipCount + result.InconclusiveCount;
Console.WriteLine($"{result.PassCount} passed, {result.FailCount} failed, {skipped} skipped");
return result.FailCount == 0 && result.PassCount > 0 ? 0 : 1;

static void Report(ITestResult result)
{
    if (!result.HasChildren)
    {
        if (result.ResultState.Status is TestStatus.Failed or TestStatus.Skipped)
        {
            // Failures with the first lines of their message (an assertion's expected and actual), skips with the reason.
            int lines = result.ResultState.Status == TestStatus.Failed ? 6 : 1;
            Console.WriteLine($"  {result.ResultState.Status}: {result.FullName}: {string.Join("\n      ", (result.Message ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries)[..Math.Min(lines, (result.Message ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length)])}");
        }

        return;
    }

    foreach (ITestResult child in result.Children)
    {
        Report(child);
    }
}

internal sealed class Trace : ITestListener
{
    public void TestStarted(ITest test)
    {
        Console.Error.WriteLine($"  start: {test.FullName}");
    }

    public void TestFinished(ITestResult result)
    {
    }

    public void TestOutput(TestOutput output)
    {
    }

    public void SendMessage(TestMessage message)
    {
    }
}
