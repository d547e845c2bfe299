// What each XSaveInstruction is, one row each: every place that decides by instruction (the
// generator's parser and emitters, the freestanding form, the runtime's guards) reads its row.
// Compiled into the generator too (linked source, as XSaveInstruction.cs is). Adding an
// instruction is a member of the enum, a row here, its case in the code assembler, and its tests
// (docs/generator.md, "Adding an instruction").
#if XSAVE_GENERATOR
namespace XSave.Generators.Shared;
#else
namespace XSave;
#endif

/// <summary>What a thunk's parameters are, and so how it is declared and called.</summary>
internal enum ThunkShape
{
    /// <summary>One XSAVE area, then optionally a mask (<c>ulong</c> or <c>XFeatures</c>).</summary>
    Area,

    /// <summary>The area saved into, the area restored from (pointers), then optionally a mask.</summary>
    Switch,

    /// <summary>One 512-byte legacy region.</summary>
    LegacyRegion,

    /// <summary>No parameter; returns a control word.</summary>
    ReadControlWord,

    /// <summary>One control word, by value.</summary>
    WriteControlWord,

    /// <summary>An extended control register's number; the value is returned (runtime form) or an <c>out</c> parameter (freestanding form).</summary>
    ReadXcr,

    /// <summary>An extended control register's number and the value to write.</summary>
    WriteXcr,

    /// <summary>An <c>out</c> value.</summary>
    ReadControlRegister,

    /// <summary>No parameter.</summary>
    NoParameter,

    /// <summary>The runtime's routines: <see cref="InstructionFacts.Pointers"/> pointers, then the components for a run copy.</summary>
    Routine,
}

/// <summary>What the processor and OS must provide before an instruction can run.</summary>
internal enum InstructionRequirement
{
    /// <summary>An x86-64 processor (FXSAVE, the control-word instructions).</summary>
    X64,

    /// <summary>XSAVE implemented (CPUID.1:ECX[26]), enabled or not.</summary>
    XSaveImplemented,

    /// <summary>XSAVE enabled by the OS (CPUID.1:ECX.OSXSAVE[27]).</summary>
    XSave,

    /// <summary>XSAVE enabled, and XSAVEOPT implemented (CPUID.(0DH,1):EAX[0]).</summary>
    XSaveOpt,

    /// <summary>XSAVE enabled, and XSAVEC implemented (CPUID.(0DH,1):EAX[1]).</summary>
    XSaveC,
}

/// <summary>Whether an instruction writes its area, reads it, or both (a switch).</summary>
[System.Flags]
internal enum AreaAccess
{
    /// <summary>No area.</summary>
    None = 0,

    /// <summary>Writes its (first) area.</summary>
    Saves = 1,

    /// <summary>Reads its (last) area, which must be checked before the instruction can fault on it.</summary>
    Restores = 2,
}

/// <summary>Where a thunk of an instruction may be declared.</summary>
[System.Flags]
internal enum ThunkForms
{
    /// <summary>A project referencing XSave.Runtime (the attribute is the runtime's).</summary>
    Runtime = 1,

    /// <summary>A project defining XSAVE_FREESTANDING (the attribute is the generator's).</summary>
    Freestanding = 2,

    /// <summary>XSave.Runtime itself, which reaches its routines through <c>RuntimeRoutine</c>.</summary>
    RuntimeItself = 4,
}

/// <summary>The control word a control-word instruction moves.</summary>
internal enum ControlWordKind
{
    /// <summary>Not a control-word instruction.</summary>
    None,

    /// <summary>MXCSR (32 bits).</summary>
    Mxcsr,

    /// <summary>The x87 control word (16 bits).</summary>
    X87,
}

/// <summary>One instruction's row.</summary>
/// <param name="Instruction">The instruction it describes (its index in the table).</param>
/// <param name="Text">How diagnostics and messages name it.</param>
/// <param name="Shape">Its parameters.</param>
/// <param name="Requires">What the processor must provide.</param>
/// <param name="Access">What it does with its area.</param>
/// <param name="Alignment">Its areas' alignment in bytes, or 0 without an area.</param>
/// <param name="Forms">Where it may be declared.</param>
/// <param name="IsPrivileged">True where it raises #GP below CPL 0 (its machine code refuses there itself).</param>
/// <param name="Word">The control word it moves, if any.</param>
/// <param name="Pointers">A routine's pointer parameters.</param>
/// <param name="TakesComponents">True where a routine takes a component mask after its pointers.</param>
/// <param name="ReturnsDeclined">True where a routine returns null when it did its work, else the area it declined (a <c>void*</c>).</param>
/// <param name="RuntimeSignature">The runtime form's signatures, as XSAVE003 says them.</param>
/// <param name="FreestandingSignature">The freestanding form's, or empty where it has none.</param>
internal sealed record InstructionFacts(
    XSaveInstruction Instruction,
    string Text,
    ThunkShape Shape,
    InstructionRequirement Requires,
    AreaAccess Access,
    int Alignment,
    ThunkForms Forms,
    string RuntimeSignature,
    string FreestandingSignature,
    bool IsPrivileged = false,
    ControlWordKind Word = ControlWordKind.None,
    int Pointers = 0,
    bool TakesComponents = false,
    bool ReturnsDeclined = false)
{
    /// <summary>True for STMXCSR and FNSTCW, which return their word.</summary>
    public bool ReadsWord => Shape == ThunkShape.ReadControlWord;

    /// <summary>True where a mask parameter may follow the areas.</summary>
    public bool TakesMask => Shape is ThunkShape.Area or ThunkShape.Switch;

    /// <summary>True for XSave.Runtime's own routines.</summary>
    public bool IsRuntimeRoutine => Forms == ThunkForms.RuntimeItself;
}

/// <summary>The rows, indexed by instruction.</summary>
internal static class InstructionTable
{
    private const ThunkForms Both = ThunkForms.Runtime | ThunkForms.Freestanding;
    private const string AreaSignature = "'static partial void M(XSaveArea* area)' or 'static partial void M(ref XSaveArea area)', optionally followed by 'ulong mask' or 'XFeatures mask'";
    private const string FreestandingArea = "'static partial XSaveStatus M(void* area)' (or byte*), optionally followed by 'ulong mask'";
    private const string SwitchSignature = "'static partial void M(XSaveArea* save, XSaveArea* restore)', optionally followed by 'ulong mask' or 'XFeatures mask'";
    private const string FreestandingSwitch = "'static partial XSaveStatus M(void* save, void* restore)' (or byte*), optionally followed by 'ulong mask'";
    private const string FreestandingRegion = "'static partial XSaveStatus M(void* region)' (or byte*)";
    private const string NoFreestandingWord = "a method of a project that references XSave.Runtime (the control-word thunks have no freestanding form)";
    private const string RoutineOfThree = "'static partial void M(XSaveArea* area, XSaveArea* scratch, RestorePlan* plan)'";

    private static readonly InstructionFacts[] Rows =
    [
        new(XSaveInstruction.XSave, "XSAVE64", ThunkShape.Area, InstructionRequirement.XSave, AreaAccess.Saves, 64, Both, AreaSignature, FreestandingArea),
        new(XSaveInstruction.XSaveOpt, "XSAVEOPT64", ThunkShape.Area, InstructionRequirement.XSaveOpt, AreaAccess.Saves, 64, Both, AreaSignature, FreestandingArea),
        new(XSaveInstruction.XSaveC, "XSAVEC64", ThunkShape.Area, InstructionRequirement.XSaveC, AreaAccess.Saves, 64, Both, AreaSignature, FreestandingArea),
        new(XSaveInstruction.XRstor, "XRSTOR64", ThunkShape.Area, InstructionRequirement.XSave, AreaAccess.Restores, 64, Both,
            "'static partial void M(XSaveArea* area)', or with 'ref' or 'in XSaveArea area', optionally followed by 'ulong mask' or 'XFeatures mask'", FreestandingArea),
        new(XSaveInstruction.FxSave, "FXSAVE64", ThunkShape.LegacyRegion, InstructionRequirement.X64, AreaAccess.Saves, 16, Both,
            "'static partial void M(LegacyRegion* region)' or 'static partial void M(ref LegacyRegion region)'", FreestandingRegion),
        new(XSaveInstruction.FxRstor, "FXRSTOR64", ThunkShape.LegacyRegion, InstructionRequirement.X64, AreaAccess.Restores, 16, Both,
            "'static partial void M(LegacyRegion* region)', or with 'ref' or 'in LegacyRegion region'", FreestandingRegion),
        new(XSaveInstruction.XGetBv, "XGETBV", ThunkShape.ReadXcr, InstructionRequirement.XSave, AreaAccess.None, 0, Both,
            "'static partial ulong M(uint register)'", "'static partial XSaveStatus M(uint register, out ulong value)'"),
        new(XSaveInstruction.XSaveXRstor, "XSAVE64 then XRSTOR64", ThunkShape.Switch, InstructionRequirement.XSave, AreaAccess.Saves | AreaAccess.Restores, 64, Both, SwitchSignature, FreestandingSwitch),
        new(XSaveInstruction.XSaveCXRstor, "XSAVEC64 then XRSTOR64", ThunkShape.Switch, InstructionRequirement.XSaveC, AreaAccess.Saves | AreaAccess.Restores, 64, Both, SwitchSignature, FreestandingSwitch),
        new(XSaveInstruction.StMxcsr, "STMXCSR", ThunkShape.ReadControlWord, InstructionRequirement.X64, AreaAccess.None, 0, ThunkForms.Runtime,
            "'static partial uint M()' or 'static partial Mxcsr M()'", NoFreestandingWord, Word: ControlWordKind.Mxcsr),
        new(XSaveInstruction.LdMxcsr, "LDMXCSR", ThunkShape.WriteControlWord, InstructionRequirement.X64, AreaAccess.None, 0, ThunkForms.Runtime,
            "'static partial void M(uint value)' or 'static partial void M(Mxcsr value)'", NoFreestandingWord, Word: ControlWordKind.Mxcsr),
        new(XSaveInstruction.FnStCw, "FNSTCW", ThunkShape.ReadControlWord, InstructionRequirement.X64, AreaAccess.None, 0, ThunkForms.Runtime,
            "'static partial ushort M()' or 'static partial X87ControlWord M()'", NoFreestandingWord, Word: ControlWordKind.X87),
        new(XSaveInstruction.FldCw, "FLDCW", ThunkShape.WriteControlWord, InstructionRequirement.X64, AreaAccess.None, 0, ThunkForms.Runtime,
            "'static partial void M(ushort value)' or 'static partial void M(X87ControlWord value)'", NoFreestandingWord, Word: ControlWordKind.X87),
#if XSAVE_GENERATOR
        // The generator's alone (the runtime's copy of the enum does not name them): the privileged
        // instructions, and the runtime's routines, which the runtime calls unchecked.
        new(XSaveInstruction.XSetBv, "XSETBV", ThunkShape.WriteXcr, InstructionRequirement.XSave, AreaAccess.None, 0, ThunkForms.Freestanding,
            string.Empty, "'static partial XSaveStatus M(uint register, ulong value)'", IsPrivileged: true),
        new(XSaveInstruction.ReadCr4, "MOV from CR4", ThunkShape.ReadControlRegister, InstructionRequirement.X64, AreaAccess.None, 0, ThunkForms.Freestanding,
            string.Empty, "'static partial XSaveStatus M(out ulong value)'", IsPrivileged: true),
        new(XSaveInstruction.EnableOsXSave, "MOV to CR4 (setting OSXSAVE)", ThunkShape.NoParameter, InstructionRequirement.XSaveImplemented, AreaAccess.None, 0, ThunkForms.Freestanding,
            string.Empty, "'static partial XSaveStatus M()'", IsPrivileged: true),
        new(XSaveInstruction.CopyRuns, "the runtime's run copy", ThunkShape.Routine, InstructionRequirement.XSave, AreaAccess.None, 0, ThunkForms.RuntimeItself,
            "'static partial void M(byte* from, byte* to, CopyRun* runs, ulong components)'", string.Empty, Pointers: 3, TakesComponents: true),
        new(XSaveInstruction.CopyRunsAvx, "the runtime's run copy", ThunkShape.Routine, InstructionRequirement.XSave, AreaAccess.None, 0, ThunkForms.RuntimeItself,
            "'static partial void M(byte* from, byte* to, CopyRun* runs, ulong components)'", string.Empty, Pointers: 3, TakesComponents: true),
        new(XSaveInstruction.CheckedRestore, "the runtime's checked restore", ThunkShape.Routine, InstructionRequirement.XSave, AreaAccess.None, 0, ThunkForms.RuntimeItself,
            "'static partial void* M(XSaveArea* area, XSaveArea* scratch, RestorePlan* plan)'", string.Empty, Pointers: 3, ReturnsDeclined: true),
        new(XSaveInstruction.CheckedRestoreAvx, "the runtime's checked restore", ThunkShape.Routine, InstructionRequirement.XSave, AreaAccess.None, 0, ThunkForms.RuntimeItself,
            "'static partial void* M(XSaveArea* area, XSaveArea* scratch, RestorePlan* plan)'", string.Empty, Pointers: 3, ReturnsDeclined: true),
        new(XSaveInstruction.SaveBounced, "the runtime's bounced save", ThunkShape.Routine, InstructionRequirement.XSave, AreaAccess.None, 0, ThunkForms.RuntimeItself,
            RoutineOfThree, string.Empty, Pointers: 3),
        new(XSaveInstruction.SaveBouncedAvx, "the runtime's bounced save", ThunkShape.Routine, InstructionRequirement.XSave, AreaAccess.None, 0, ThunkForms.RuntimeItself,
            RoutineOfThree, string.Empty, Pointers: 3),
        new(XSaveInstruction.XSaveOptXRstor, "XSAVEOPT64 then XRSTOR64", ThunkShape.Routine, InstructionRequirement.XSaveOpt, AreaAccess.None, 0, ThunkForms.RuntimeItself,
            "'static partial void M(XSaveArea* save, XSaveArea* restore)'", string.Empty, Pointers: 2),
        new(XSaveInstruction.PreparedSave, "the runtime's prepared save", ThunkShape.Routine, InstructionRequirement.XSave, AreaAccess.None, 0, ThunkForms.RuntimeItself,
            "'static partial void M(XSaveArea* area, RestorePlan* plan)'", string.Empty, Pointers: 2),
#endif
    ];

    /// <summary>Every instruction's row, in the enum's order.</summary>
    public static System.Collections.Generic.IReadOnlyList<InstructionFacts> All => Rows;

    /// <summary>The row of <paramref name="instruction"/>.</summary>
    public static InstructionFacts Of(XSaveInstruction instruction) => Rows[(int)instruction];
}
