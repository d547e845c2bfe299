using System;

namespace XSave.Tool;

/// <summary>Headings in colour on a terminal, plain text anywhere else (pipes, files, NO_COLOR).</summary>
internal sealed class Style
{
    private readonly bool _colour;

    private Style(bool colour) => _colour = colour;

    public static Style Plain { get; } = new(colour: false);

    public static Style ForConsole() =>
        new(!Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null && Environment.GetEnvironmentVariable("TERM") != "dumb");

    public string Heading(string text) => _colour ? $"\u001b[1;36m{text}\u001b[0m" : text;

    public string Dim(string text) => _colour ? $"\u001b[2m{text}\u001b[0m" : text;
}
