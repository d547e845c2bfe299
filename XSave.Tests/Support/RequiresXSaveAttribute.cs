namespace XSave.Tests.Support;

/// <summary>Skips a test that executes XSAVE where it cannot run.</summary>
public sealed class RequiresXSaveAttribute : RequiresProcessorAttribute
{
    protected override bool IsMet => XSaveArea.IsSupported;

    protected override string Needs => "an x86-64 process with XSAVE enabled";
}
