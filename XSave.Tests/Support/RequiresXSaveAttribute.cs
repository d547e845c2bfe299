using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

namespace XSave.Tests.Support;

/// <summary>Skips (ignores, with the reason) a test that executes XSAVE where it cannot run.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class RequiresXSaveAttribute : NUnitAttribute, IApplyToTest
{
    public void ApplyToTest(Test test)
    {
        if (!XSaveArea.IsSupported)
        {
            test.RunState = RunState.Ignored;
            test.Properties.Set(PropertyNames.SkipReason,
                $"Needs an x86-64 process with XSAVE enabled; this one is {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}.");
        }
    }
}
