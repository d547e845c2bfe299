// Runs the portable tests with NUnit's assembly runner and ends with "N passed, N failed, N skipped".
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using NUnit.Framework.Api;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

Console.WriteLine($"XSave portable tests on {RuntimeInformation.ProcessArchitecture} ({RuntimeInformation.OSDescription})");
var runner = new NUnitTestAssemblyRunner(new DefaultTestAssemblyBuilder());
runner.Load(typeof(XSave.Tests.Components.ImageParsingTests).Assembly, new Dictionary<string, object>());
ITestResult result = runner.Run(TestListener.NULL, TestFilter.Empty);
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
            Console.WriteLine($"  {result.ResultState.Status}: {result.FullName}: {result.Message?.Split('\n')[0]}");
        }

        return;
    }

    foreach (ITestResult child in result.Children)
    {
        Report(child);
    }
}
