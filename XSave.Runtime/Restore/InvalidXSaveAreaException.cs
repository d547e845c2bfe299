namespace XSave;

/// <summary>
/// Thrown when an area would make XRSTOR or FXRSTOR fault. Nothing was loaded and the area was not
/// modified.
/// </summary>
public sealed class InvalidXSaveAreaException : ArgumentException
{
    /// <summary>Creates the exception for a broken <paramref name="rule"/>.</summary>
    /// <param name="rule">The rule the area breaks.</param>
    /// <param name="field">The field that breaks it, as the manual names it (e.g. XSTATE_BV).</param>
    /// <param name="value">The field's value.</param>
    /// <param name="message">The full explanation.</param>
    public InvalidXSaveAreaException(RestoreRule rule, string field, ulong value, string message)
        : base(message)
    {
        Rule = rule;
        Field = field;
        Value = value;
    }

    /// <summary>The rule the area breaks.</summary>
    public RestoreRule Rule { get; }

    /// <summary>The field that breaks it, as the manual names it.</summary>
    public string Field { get; }

    /// <summary>The field's value.</summary>
    public ulong Value { get; }
}
