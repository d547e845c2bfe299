using XSave.Generators.Helpers;
using XSave.Generators.Shared;

namespace XSave.Generators.Models;

/// <summary>Everything the generator needs about one [XSaveThunk] method: strings and enums only.</summary>
/// <param name="Hierarchy">Namespace and containing types.</param>
/// <param name="Modifiers">The declaration's modifiers, repeated verbatim on the implementation.</param>
/// <param name="ReturnType">"void", or "ulong" for XGETBV.</param>
/// <param name="Name">The method's name.</param>
/// <param name="QualifiedName">Containing type, method and parameter types, for listings (e.g. "App.Cpu.Save(XSave.XSaveArea*)").</param>
/// <param name="Parameters">Each parameter as declared, with a fully qualified type (e.g. "ref global::XSave.XSaveArea area").</param>
/// <param name="FirstName">The first parameter's name: the area, or the register for XGETBV.</param>
/// <param name="MaskName">The mask parameter's name, or empty when the method has none.</param>
/// <param name="SecondName">The area restored by <see cref="XSaveInstruction.XSaveXRstor"/>, or empty for one-area instructions.</param>
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
    string FirstName,
    string MaskName,
    string SecondName,
    XSaveInstruction Instruction,
    AreaPassing Passing,
    bool IsUnchecked,
    bool IsFreestanding)
{
    public bool HasMask => MaskName.Length > 0;
}
