namespace XSave;

/// <summary>
/// Marks a <c>static partial</c> method whose body the XSave generator supplies: machine code for
/// <paramref name="instruction"/>, assembled at compile time and called through an unmanaged
/// function pointer. Accepted signatures, by instruction:
/// <list type="bullet">
/// <item>XSave, XSaveOpt, XSaveC: <c>void M(XSaveArea* area)</c> or <c>void M(ref XSaveArea area)</c>, optionally followed by <c>ulong mask</c> or <c>XFeatures mask</c>.</item>
/// <item>XRstor: as above, or with <c>in XSaveArea area</c>.</item>
/// <item>FxSave: <c>void M(LegacyRegion* region)</c> or <c>ref LegacyRegion</c>; FxRstor also <c>in LegacyRegion</c>.</item>
/// <item>XGetBv: <c>ulong M(uint register)</c>.</item>
/// </list>
/// The mask is always intersected with <see cref="XSaveArea.SafeFeatures"/>; without one, the
/// whole safe set is requested.
/// </summary>
/// <param name="instruction">The instruction the method executes.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class XSaveThunkAttribute(XSaveInstruction instruction) : Attribute
{
    /// <summary>The instruction the method executes.</summary>
    public XSaveInstruction Instruction { get; } = instruction;

    /// <summary>
    /// When true the generated body skips the guards (CPU support, alignment, restore validation):
    /// the caller guarantees them, and a violated rule raises #GP, which ends the process.
    /// </summary>
    public bool Unchecked { get; set; }
}
