using System;
using System.Runtime.CompilerServices;
using XSave;

namespace XSave.Tests.FreestandingProgram;

/// <summary>
/// What the tests call: each thunk's status by name. The generated types stay internal to this
/// assembly, as they are in any freestanding image, so none of them meets XSave.Runtime's.
/// </summary>
public static unsafe class FreestandingKernel
{
    public static string Install() => Kernel.Install().ToString();

    public static ulong Xcr0 => XSaveThunks.Xcr0;

    public static int PrivilegeLevel => XSaveThunks.PrivilegeLevel;

    public static uint MxcsrMask => XSaveThunks.MxcsrMask;

    public static string Save(void* area) => Kernel.Save(area).ToString();

    public static string SaveCompacted(void* area) => Kernel.SaveCompacted(area).ToString();

    public static string Restore(void* area) => Kernel.Restore(area).ToString();

    public static string FxSave(void* region) => Kernel.FxSave(region).ToString();

    public static string FxRestore(void* region) => Kernel.FxRestore(region).ToString();

    public static string Switch(void* save, void* restore) => Kernel.Switch(save, restore).ToString();

    public static string ReadXcr(uint register, out ulong value) => Kernel.ReadXcr(register, out value).ToString();

    public static string WriteXcr(uint register, ulong value) => Kernel.WriteXcr(register, value).ToString();

    public static string ReadCr4(out ulong value) => Kernel.ReadCr4(out value).ToString();

    public static string EnableOsXSave() => Kernel.EnableOsXSave().ToString();

    public static string CheckXSetBv(ulong value) => XSaveThunks.CheckXSetBv(XSaveRequirement.XSave, 0, value).ToString();

    /// <summary>1/3 in single precision: the last bit shows the rounding mode MXCSR holds.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static uint OneThird(float one, float three) => BitConverter.SingleToUInt32Bits(one / three);
}
