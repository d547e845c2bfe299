using System.Collections.Generic;

/// <summary>
/// The tests that Wine itself ends, each with the Wine defect: the one list of them. A test named
/// here is counted as skipped, with the defect, when its process ends or hangs during it under
/// Wine; any other test that does so fails the run (docs/windows.md, "Under Wine").
/// </summary>
internal static class WineDefects
{
    public static readonly IReadOnlyDictionary<string, string> Known = new Dictionary<string, string>
    {
    };
}
