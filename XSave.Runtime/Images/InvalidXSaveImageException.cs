namespace XSave;

/// <summary>Thrown when bytes are not an XSAVE image this library can read; the message names the field and the rule.</summary>
public sealed class InvalidXSaveImageException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="field">The field at fault (e.g. "length", "XSTATE_BV").</param>
    /// <param name="message">What is wrong and why.</param>
    public InvalidXSaveImageException(string field, string message)
        : base(message) => Field = field;

    /// <summary>The field at fault.</summary>
    public string Field { get; }
}
