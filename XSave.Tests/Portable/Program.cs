// Runs the tests compiled in (see the project file) with NUnit's assembly runner and ends with "N passed, N failed, N skipped".
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using NUnit.Framework.Api;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

string cpu = XSave.XSaveArea.IsSupported
    ? $"XCR0 0x{(ulong)XSave.XSaveArea.EnabledFeatures:X}, layout: {XSave.XSaveLayout.Current?.Name}"
    : "no XSAVE";
Console.WriteLine($"XSave tests on {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.ProcessArchitecture} ({RuntimeInformation.OSDescription}; {cpu})");
// XSAVE_TEST_PROCESS_PER_THROW=1 (CI under Wine): a new process after every test that ends by an
// exception, since such an exception breaks a Wine process (ProcessPerThrow).
if (Environment.GetEnvironmentVariable("XSAVE_TEST_PROCESS_PER_THROW") == "1" && ProcessPerThrow.ResultsFile is null)
{
    return ProcessPerThrow.Run();
}

// XSAVE_TEST_TRACE=1 names each test as it starts: under an emulator a crash ends the process.
ITestListener listener = ProcessPerThrow.ResultsFile is { } resultsFile ? new ProcessPerThrow.ChildListener(resultsFile)
    : Environment.GetEnvironmentVariable("XSAVE_TEST_TRACE") == "1" ? new Trace() : TestListener.NULL;
if (listener is Trace)
{
    AppDomain.CurrentDomain.FirstChanceException += (_, e) => Trace.Error.WriteLine($"  first chance: {e.Exception.GetType().Name}: {e.Exception.StackTrace?.Split('\n')[0]}");
}

var runner = new NUnitTestAssemblyRunner(new DefaultTestAssemblyBuilder());
// Traced, events arrive on the test's own thread (not pumped from another), so a test that ends
// the process has been named first.
var settings = new Dictionary<string, object>();
if (listener is Trace or ProcessPerThrow.ChildListener)
{
    settings["SynchronousEvents"] = true;
}

runner.Load(typeof(XSave.Tests.Images.ImageParsingTests).Assembly, settings);
// XSAVE_TEST_NAMES=regex runs only the tests whose full names match (for chasing one under an emulator).
string? names = Environment.GetEnvironmentVariable("XSAVE_TEST_NAMES");
string selected = names is null ? string.Empty : $"<test re=\"1\">{System.Security.SecurityElement.Escape(names)}</test>";
string done = string.Concat(ProcessPerThrow.Excluded.Select(name => $"<test>{System.Security.SecurityElement.Escape(name)}</test>"));
string filter = done.Length == 0 ? selected : $"<and>{selected}<not><or>{done}</or></not></and>";
ITestResult result = runner.Run(listener, filter.Length == 0 ? TestFilter.Empty : TestFilter.FromXml($"<filter>{filter}</filter>"));
(listener as ProcessPerThrow.ChildListener)?.Complete();
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
    // The process's own stderr: NUnit redirects Console while a test runs, to capture its output.
    public static readonly System.IO.TextWriter Error = new System.IO.StreamWriter(Console.OpenStandardError()) { AutoFlush = true };

    public void TestStarted(ITest test)
    {
        Error.WriteLine($"  start: {test.FullName}");
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
