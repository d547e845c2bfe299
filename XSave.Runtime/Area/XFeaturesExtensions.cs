namespace XSave;

/// <summary>Working with <see cref="XFeatures"/> as a set of state components.</summary>
public static class XFeaturesExtensions
{
    /// <summary>Each component of <paramref name="set"/>, lowest bit first, as a one-bit <see cref="XFeatures"/>.</summary>
    /// <param name="set">A set of components (XCR0, XSTATE_BV, a mask).</param>
    /// <returns>The components, e.g. <see cref="XFeatures.X87"/>, <see cref="XFeatures.Sse"/>, <see cref="XFeatures.Pkru"/> for 0x203.</returns>
    public static IEnumerable<XFeatures> Components(this XFeatures set)
    {
        for (ulong rest = (ulong)set; rest != 0; rest &= rest - 1)
        {
            yield return (XFeatures)(rest & (~rest + 1));
        }
    }
}
