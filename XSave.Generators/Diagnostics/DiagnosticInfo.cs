using Microsoft.CodeAnalysis.Text;

namespace XSave.Generators.Diagnostics;

/// <summary>A diagnostic as plain values (no SyntaxTree or Location), so it can sit in a cached model.</summary>
internal sealed record DiagnosticInfo(
    DiagnosticDescriptor Descriptor,
    string FilePath,
    TextSpan Span,
    LinePositionSpan LineSpan,
    EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location location, params string[] arguments)
    {
        FileLinePositionSpan lines = location.GetLineSpan();
        return new(descriptor, lines.Path ?? string.Empty, location.SourceSpan, lines.Span, new EquatableArray<string>(arguments));
    }

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Descriptor, Location.Create(FilePath, Span, LineSpan), Arguments.ToArrayOfObjects());
}

internal static class DiagnosticArgumentsExtensions
{
    public static object[] ToArrayOfObjects(this EquatableArray<string> arguments)
    {
        object[] result = new object[arguments.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = arguments[i];
        }

        return result;
    }
}
