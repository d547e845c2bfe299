using XSave;

namespace Freestanding
{
    /// <summary>The thunks this image uses, in the generator's freestanding form (XSAVE_FREESTANDING).</summary>
    internal static unsafe partial class Cpu
    {
        [XSaveThunk(XSaveInstruction.ReadCr4)]
        public static partial XSaveStatus ReadCr4(out ulong value);

        [XSaveThunk(XSaveInstruction.EnableOsXSave)]
        public static partial XSaveStatus EnableOsXSave();

        [XSaveThunk(XSaveInstruction.XGetBv)]
        public static partial XSaveStatus ReadXcr(uint register, out ulong value);

        [XSaveThunk(XSaveInstruction.XSetBv)]
        public static partial XSaveStatus WriteXcr(uint register, ulong value);

        [XSaveThunk(XSaveInstruction.XSave)]
        public static partial XSaveStatus Save(void* area);

        [XSaveThunk(XSaveInstruction.XRstor)]
        public static partial XSaveStatus Restore(void* area);
    }
}
