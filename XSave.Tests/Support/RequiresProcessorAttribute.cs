using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

namespace XSave.Tests.Support;

/// <summary>Skips (ignores, with the reason) a test whose instructions this process cannot execute.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public abstract class RequiresProcessorAttribute : NUnitAttribute, IApplyToTest
{
    /// <summary>True where the test can run.</summary>
    protected abstract bool IsMet { get; }

    /// <summary>What it needs, for the reason: "an x86-64 process …".</summary>
    protected abstract string Needs { get; }

    public void ApplyToTest(Test test)
    {
        if (!IsMet)
        {
            test.RunState = RunState.Ignored;
            test.Properties.Set(PropertyNames.SkipReason,
                $"Needs {Needs}; this one is {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}.");
        }
    }
}
