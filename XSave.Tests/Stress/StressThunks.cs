namespace XSave.Stress;

/// <summary>Raw instructions the fuzzer needs beyond the public API.</summary>
internal static unsafe partial class StressThunks
{
    [XSaveThunk(XSaveInstruction.XSaveC)]
    internal static partial void SaveCompacted(XSaveArea* area);

    [XSaveThunk(XSaveInstruction.XRstor)]
    internal static partial void Restore(XSaveArea* area);

    [XSaveThunk(XSaveInstruction.FxRstor)]
    internal static partial void RestoreLegacy(LegacyRegion* region);
}
