using System.Text;

namespace XSave.Generators.Helpers;

/// <summary>Indented lines with LF endings, whatever the OS.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _depth;

    public void Line(string text = "")
    {
        if (text.Length > 0)
        {
            _text.Append(' ', _depth * 4).Append(text);
        }

        _text.Append('\n');
    }

    public void Open()
    {
        Line("{");
        _depth++;
    }

    /// <summary>Writes a block of lines (a template) at the current depth.</summary>
    public void Block(string text)
    {
        foreach (string line in text.Split('\n'))
        {
            Line(line.TrimEnd('\r'));
        }
    }

    /// <summary>Goes one level deeper without writing a brace: the template opened it.</summary>
    public void Indent() => _depth++;

    public void Close() => CloseWith("}");

    public void CloseWith(string text)
    {
        _depth--;
        Line(text);
    }

    public override string ToString() => _text.ToString();

    /// <summary>Opens the namespace and containing types of <paramref name="hierarchy"/>.</summary>
    public void OpenHierarchy(HierarchyInfo hierarchy)
    {
        if (hierarchy.Namespace.Length > 0)
        {
            Line($"namespace {hierarchy.Namespace}");
            Open();
        }

        foreach (string type in hierarchy.TypeDeclarations)
        {
            Line(type);
            Open();
        }
    }

    /// <summary>Closes what <see cref="OpenHierarchy"/> opened.</summary>
    public void CloseHierarchy(HierarchyInfo hierarchy)
    {
        for (int i = 0; i < hierarchy.TypeDeclarations.Count; i++)
        {
            Close();
        }

        if (hierarchy.Namespace.Length > 0)
        {
            Close();
        }
    }

    /// <summary>A parameter name as C# source: keywords escaped (<c>@ref</c>).</summary>
    public static string Identifier(string name) =>
        Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? "@" + name : name;

    /// <summary>A string literal in C# source.</summary>
    public static string Literal(string text) =>
        Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text, quote: true);
}
