namespace XSave.Generators.Helpers;

/// <summary>
/// C# files the generator emits verbatim, kept as files of their own (read, diffed and reviewed as
/// code, as CommunityToolkit keeps its templates) and embedded in the generator as resources.
/// </summary>
internal static class EmbeddedTemplate
{
    /// <summary>The text of the embedded file <paramref name="name"/>, with LF line endings.</summary>
    public static string Read(string name)
    {
        using System.IO.Stream stream = typeof(EmbeddedTemplate).Assembly.GetManifestResourceStream(name)!;
        using var reader = new System.IO.StreamReader(stream);
        return reader.ReadToEnd().Replace("\r\n", "\n");
    }
}
