using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

namespace XSave.Tests.Support;

/// <summary>Skips (ignores, with the reason) a test that executes x86-64 instructions needing no XSAVE (FXSAVE, the control words) where the process is not x86-64.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class RequiresX64Attribute : NUnitAttribute, IApplyToTest
{
    public void ApplyToTest(Test test)
    {
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            test.RunState = RunState.Ignored;
            test.Properties.Set(PropertyNames.SkipReason,
                $"Needs an x86-64 process; this one is {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}.");
        }
    }
}
