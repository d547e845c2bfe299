namespace XSave;

/// <summary>
/// Conversions between the formats an area can be in, as plain functions over its bytes: what
/// <see cref="XSaveImage"/>'s conversions do once they have judged an image, and what
/// <see cref="XSaveContext"/> does to a compacted state it is handed (no trip through the parser).
/// </summary>
internal static class FormatConversion
{
    /// <summary>
    /// <paramref name="source"/> (read with its own layout: compacted areas describe themselves)
    /// as a standard-format area in <paramref name="target"/>'s layout. Callers have checked that
    /// every component in use other than x87 and SSE has a slot in the page in <paramref name="target"/>.
    /// </summary>
    public static XSaveArea ToStandard(in XSaveArea source, XSaveLayout target)
    {
        XFeatures inUse = source.ReadOnlyHeader.XStateBv;
        XSaveArea result = default;
        source.AsReadOnlySpan()[..XSaveArea.HeaderOffset].CopyTo(result.AsSpan());
        result.Header.XStateBv = inUse;
        result.RecordLayout(target);
        if (source.ReadOnlyHeader.IsCompacted && !inUse.HasFlag(XFeatures.Sse))
        {
            // A compacted XRSTOR initialises MXCSR with SSE (XSAVEC then leaves the field stale);
            // a standard one loads the field: give it the value the compacted restore would load.
            result.Legacy.Mxcsr = (Mxcsr)LegacyRegion.InitMxcsr;
        }

        foreach (XFeatures component in (inUse & ~(XFeatures.X87 | XFeatures.Sse)).Components())
        {
            ComponentSlot slot = target.Slot(component)!.Value;
            source.GetComponent(component).CopyTo(result.AsSpan().Slice(slot.Offset, slot.Size));
        }

        return result;
    }
}
