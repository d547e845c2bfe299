namespace XSave.Generators.Models;

/// <summary>
/// A body for a method the generator refused: it throws, and it only exists so that the refusal
/// (an XSAVE00x error) is the one diagnostic, without the compiler's CS8795 for a partial method
/// left unimplemented.
/// </summary>
/// <param name="Hierarchy">Namespace and containing types.</param>
/// <param name="Declaration">The implementing declaration: modifiers, return type, name, type parameters, parameters, constraints.</param>
/// <param name="Reason">The diagnostic's ID, for the exception's message.</param>
/// <param name="IsFreestanding">True when the project has no exceptions to throw (the freestanding form).</param>
internal sealed record StubModel(HierarchyInfo Hierarchy, string Declaration, string Reason, bool IsFreestanding);
