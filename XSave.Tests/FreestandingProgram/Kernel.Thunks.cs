using XSave;

namespace XSave.Tests.FreestandingProgram;

/// <summary>
/// Every signature the freestanding form takes, as a kernel would declare them: this program runs
/// them, and <c>FreestandingSourceTests</c> compiles this file alone against a minimal core library.
/// </summary>
internal static unsafe partial class Kernel
{
    [XSaveThunk(XSaveInstruction.XSave)]
    public static partial XSaveStatus Save(void* area);

    [XSaveThunk(XSaveInstruction.XSave)]
    public static partial XSaveStatus SaveMask(byte* area, ulong mask);

    [XSaveThunk(XSaveInstruction.XSaveOpt)]
    public static partial XSaveStatus SaveOptimized(void* area);

    [XSaveThunk(XSaveInstruction.XSaveC)]
    public static partial XSaveStatus SaveCompacted(void* area);

    [XSaveThunk(XSaveInstruction.XRstor)]
    public static partial XSaveStatus Restore(void* area);

    [XSaveThunk(XSaveInstruction.XRstor)]
    public static partial XSaveStatus RestoreMask(void* area, ulong mask);

    [XSaveThunk(XSaveInstruction.XRstor, Unchecked = true)]
    public static partial XSaveStatus RestoreUnchecked(void* area);

    [XSaveThunk(XSaveInstruction.FxSave)]
    public static partial XSaveStatus FxSave(void* region);

    [XSaveThunk(XSaveInstruction.FxRstor)]
    public static partial XSaveStatus FxRestore(void* region);

    [XSaveThunk(XSaveInstruction.XSaveXRstor)]
    public static partial XSaveStatus Switch(void* save, void* restore);

    [XSaveThunk(XSaveInstruction.XSaveCXRstor)]
    public static partial XSaveStatus SwitchCompacted(void* save, void* restore, ulong mask);

    [XSaveThunk(XSaveInstruction.XGetBv)]
    public static partial XSaveStatus ReadXcr(uint register, out ulong value);

    [XSaveThunk(XSaveInstruction.XSetBv)]
    public static partial XSaveStatus WriteXcr(uint register, ulong value);

    [XSaveThunk(XSaveInstruction.ReadCr4)]
    public static partial XSaveStatus ReadCr4(out ulong value);

    [XSaveThunk(XSaveInstruction.EnableOsXSave)]
    public static partial XSaveStatus EnableOsXSave();
}
