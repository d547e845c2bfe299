namespace XSave.Tests.Hardware;

/// <summary>The test project as a consumer of the generator: one thunk of every instruction and passing style.</summary>
internal static unsafe partial class TestThunks
{
    [XSaveThunk(XSaveInstruction.XSave)]
    internal static partial void Save(XSaveArea* area, ulong mask);

    [XSaveThunk(XSaveInstruction.XSaveOpt)]
    internal static partial void SaveOptimized(ref XSaveArea area);

    [XSaveThunk(XSaveInstruction.XSaveC)]
    internal static partial void SaveCompacted(XSaveArea* area);

    [XSaveThunk(XSaveInstruction.XRstor)]
    internal static partial void Restore(in XSaveArea area, ulong mask);

    [XSaveThunk(XSaveInstruction.XSave)]
    internal static partial void SaveFeatures(XSaveArea* area, XFeatures mask);

    [XSaveThunk(XSaveInstruction.FxSave)]
    internal static partial void FxSave(ref LegacyRegion region);

    [XSaveThunk(XSaveInstruction.FxRstor)]
    internal static partial void FxRestore(LegacyRegion* region);

    [XSaveThunk(XSaveInstruction.XSaveXRstor)]
    internal static partial void Switch(XSaveArea* from, XSaveArea* to);

    [XSaveThunk(XSaveInstruction.XGetBv)]
    internal static partial ulong ReadXcr(uint register);

    [XSaveThunk(XSaveInstruction.StMxcsr)]
    internal static partial uint ReadMxcsr();

    [XSaveThunk(XSaveInstruction.LdMxcsr)]
    internal static partial void LoadMxcsr(uint value);

    [XSaveThunk(XSaveInstruction.FnStCw)]
    internal static partial X87ControlWord ReadFcw();

    [XSaveThunk(XSaveInstruction.FldCw)]
    internal static partial void LoadFcw(ushort value);

    [XSaveThunk(XSaveInstruction.LdMxcsr, Unchecked = true)]
    internal static partial void LoadMxcsrUnchecked(Mxcsr value);
}
