namespace XSave.Generators.Models;

/// <summary>
/// The two control words a thunk reads or writes alone (STMXCSR/LDMXCSR, FNSTCW/FLDCW): the
/// integer the instruction moves and the XSave enum that types it, either accepted in a signature.
/// </summary>
/// <param name="Integer">The integer type, as C# spells it ("uint", "ushort").</param>
/// <param name="Typed">The XSave enum over it, fully qualified.</param>
/// <param name="Guard">The XSaveThunkGuards method that checks a write.</param>
internal sealed record ControlWord(string Integer, string Typed, string Guard)
{
    public static readonly ControlWord Mxcsr = new("uint", "global::XSave.Mxcsr", "ValidateMxcsr");
    public static readonly ControlWord X87 = new("ushort", "global::XSave.X87ControlWord", "ValidateX87ControlWord");

    /// <summary>The types of the word an instruction's row names.</summary>
    public static ControlWord Of(ControlWordKind kind) => kind == ControlWordKind.Mxcsr ? Mxcsr : X87;

    /// <summary>Whether a signature may use <paramref name="type"/> for this word.</summary>
    public bool Accepts(ITypeSymbol type) =>
        type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) is var name && (name == Integer || name == Typed);
}
