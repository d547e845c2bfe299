namespace XSave.Benchmarks;

/// <summary>Raw generated thunks, for the pairs the public API does not offer and for the pure call cost.</summary>
internal static unsafe partial class BenchmarkThunks
{
    [XSaveThunk(XSaveInstruction.XSave, Unchecked = true)]
    public static partial void XSave(XSaveArea* area);

    [XSaveThunk(XSaveInstruction.XSaveC, Unchecked = true)]
    public static partial void XSaveC(XSaveArea* area);

    [XSaveThunk(XSaveInstruction.XRstor, Unchecked = true)]
    public static partial void XRstor(XSaveArea* area);

    [XSaveThunk(XSaveInstruction.XGetBv, Unchecked = true)]
    public static partial ulong XGetBv(uint register);
}
