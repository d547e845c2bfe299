namespace XSave.Generators.Models;

/// <summary>Where a thunk lives: its namespace and the declarations of its containing types, outermost first.</summary>
/// <param name="Namespace">The namespace, or empty for the global namespace.</param>
/// <param name="TypeDeclarations">Headers such as <c>partial class Outer&lt;T&gt;</c>, ready to re-open the types.</param>
internal sealed record HierarchyInfo(string Namespace, EquatableArray<string> TypeDeclarations);
