namespace XSave.Tests.Support;

/// <summary>Skips a test of x86-64 instructions that need no XSAVE (FXSAVE, the control words) where the process is not x86-64.</summary>
public sealed class RequiresX64Attribute : RequiresProcessorAttribute
{
    protected override bool IsMet => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64;

    protected override string Needs => "an x86-64 process";
}
