namespace XSave.Generators.Models;

/// <summary>Everything the generator needs about one [XSaveThunk] method: strings and enums only.</summary>
/// <param name="Hierarchy">Namespace and containing types.</param>
/// <param name="Modifiers">The declaration's modifiers, repeated verbatim on the implementation.</param>
/// <param name="ReturnType">As declared, fully qualified: "void", "ulong" for XGETBV, the word's type for STMXCSR and FNSTCW.</param>
/// <param name="Name">The method's name.</param>
/// <param name="QualifiedName">Containing type, method and parameter types, for listings (e.g. "App.Cpu.Save(XSave.XSaveArea*)").</param>
/// <param name="Parameters">Each parameter as declared, with a fully qualified type (e.g. "ref global::XSave.XSaveArea area").</param>
/// <param name="Names">The parameters' names, each by what it means.</param>
/// <param name="Instruction">The instruction it executes.</param>
/// <param name="Passing">How the area is passed.</param>
/// <param name="IsUnchecked">True when the body skips its guards.</param>
/// <param name="IsFreestanding">True for the freestanding form: the attribute came from the generator (XSAVE_FREESTANDING), not from XSave.Runtime.</param>
internal sealed record ThunkModel(
    HierarchyInfo Hierarchy,
    string Modifiers,
    string ReturnType,
    string Name,
    string QualifiedName,
    EquatableArray<string> Parameters,
    ParameterNames Names,
    XSaveInstruction Instruction,
    AreaPassing Passing,
    bool IsUnchecked,
    bool IsFreestanding)
{
    public bool HasMask => Names.Mask.Length > 0;

    /// <summary>The instruction's row.</summary>
    public InstructionFacts Facts => InstructionTable.Of(Instruction);
}

/// <summary>
/// The names of a thunk's parameters, one field per meaning; empty where the instruction has no
/// such parameter.
/// </summary>
/// <param name="Area">The area saved or restored (the one saved into, for a switch).</param>
/// <param name="RestoredArea">The area a switch (<see cref="XSaveInstruction.XSaveXRstor"/>, <see cref="XSaveInstruction.XSaveCXRstor"/>) restores.</param>
/// <param name="Register">The extended control register of XGETBV and XSETBV.</param>
/// <param name="Value">The value XSETBV, LDMXCSR and FLDCW write, or the <c>out</c> value XGETBV and ReadCr4 read (freestanding form).</param>
/// <param name="Mask">The requested-feature mask, or empty when the method has none.</param>
internal sealed record ParameterNames(string Area, string RestoredArea, string Register, string Value, string Mask)
{
    /// <summary>The names as the signature matchers find them, in declaration order, given their meaning.</summary>
    public static ParameterNames Of(ThunkShape shape, string first, string second, string mask) => shape switch
    {
        ThunkShape.ReadXcr or ThunkShape.WriteXcr => new(string.Empty, string.Empty, first, second, mask),
        ThunkShape.ReadControlRegister or ThunkShape.WriteControlWord => new(string.Empty, string.Empty, string.Empty, first, mask),
        ThunkShape.NoParameter or ThunkShape.ReadControlWord => new(string.Empty, string.Empty, string.Empty, string.Empty, mask),
        _ => new(first, second, string.Empty, string.Empty, mask),
    };
}
