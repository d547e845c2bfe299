// Compiled into the generator too (linked source, as System.Text.Json's generator shares its
// enums), internal and in a namespace of its own there: one definition, never two that could disagree.
#if XSAVE_GENERATOR
namespace XSave.Generators.Shared;
#else
namespace XSave;
#endif

/// <summary>The instruction an <see cref="XSaveThunkAttribute"/> method executes.</summary>
#if XSAVE_GENERATOR
internal
#else
public
#endif
enum XSaveInstruction
{
    /// <summary>XSAVE64: save the requested components in the standard format.</summary>
    XSave,
    /// <summary>XSAVEOPT64: like XSAVE, but may skip components unmodified since the last XRSTOR from the same address.</summary>
    XSaveOpt,
    /// <summary>XSAVEC64: save in the compacted format, skipping components in their init state.</summary>
    XSaveC,
    /// <summary>XRSTOR64: restore the requested components.</summary>
    XRstor,
    /// <summary>FXSAVE64: save the 512-byte legacy region.</summary>
    FxSave,
    /// <summary>FXRSTOR64: restore the 512-byte legacy region.</summary>
    FxRstor,
    /// <summary>XGETBV: read an extended control register (XCR0 is register 0).</summary>
    XGetBv,
    /// <summary>XSAVE64 into the first area, then XRSTOR64 from the second: a context switch in one call.</summary>
    XSaveXRstor,
    /// <summary>XSAVEC64 into the first area, then XRSTOR64 from the second: a context switch that skips components in their init state.</summary>
    XSaveCXRstor,
    /// <summary>STMXCSR: read MXCSR alone (no full save). Declared <c>static partial uint M()</c> or returning <see cref="Mxcsr"/>.</summary>
    StMxcsr,
    /// <summary>LDMXCSR: write MXCSR alone, checked first like a restore. Declared <c>static partial void M(uint value)</c> or taking <see cref="Mxcsr"/>.</summary>
    LdMxcsr,
    /// <summary>FNSTCW: read the x87 control word alone. Declared <c>static partial ushort M()</c> or returning <see cref="X87ControlWord"/>.</summary>
    FnStCw,
    /// <summary>FLDCW: write the x87 control word alone, checked first like a restore. Declared <c>static partial void M(ushort value)</c> or taking <see cref="X87ControlWord"/>.</summary>
    FldCw,
#if XSAVE_GENERATOR
    // Privileged: only the freestanding form can run them (a kernel, a UEFI image), so only the
    // generator's copy and the freestanding types it emits list them; a cast in a .NET process
    // gets XSAVE009.

    /// <summary>XSETBV: write an extended control register (XCR0). Privileged.</summary>
    XSetBv,
    /// <summary>MOV from CR4: read control register 4 (CR4.OSXSAVE is bit 18). Privileged: freestanding form only.</summary>
    ReadCr4,
    /// <summary>Set CR4.OSXSAVE, which enables XGETBV, XSETBV and the XSAVE family. Privileged: freestanding form only.</summary>
    EnableOsXSave,

    // The runtime's own routines: accepted only in the assembly named XSave, which reaches them
    // through RuntimeRoutine below (its numbers are these).

    /// <summary>Copies and zeroes runs of bytes between two areas through XMM0 (<c>CopyRun</c> table): the runtime's private copies and bounces.</summary>
    CopyRuns = 16,
    /// <summary><see cref="CopyRuns"/> through YMM0, then VZEROUPPER: for CPUs with AVX enabled.</summary>
    CopyRunsAvx = 17,
    /// <summary>The checked restore: copies what XRSTOR reads into aligned scratch, checks the copy against a <c>RestorePlan</c>, and restores it with XRSTOR64, or declines (returns 1) without restoring.</summary>
    CheckedRestore = 18,
    /// <summary><see cref="CheckedRestore"/> with VEX-encoded vectors: for CPUs with AVX enabled.</summary>
    CheckedRestoreAvx = 19,
    /// <summary>The misaligned save: XSAVE64 into aligned scratch, then the legacy region, the descriptor, the header and the saved slots copied to the area, with zeros where XSAVE need not have written.</summary>
    SaveBounced = 20,
    /// <summary><see cref="SaveBounced"/> with VEX-encoded vectors: for CPUs with AVX enabled.</summary>
    SaveBouncedAvx = 21,
    /// <summary>XSAVEOPT64 into the first area, then XRSTOR64 from the second: a context's switch (its memory keeps XSAVEOPT's contract).</summary>
    XSaveOptXRstor = 22,
    PreparedSave = 23,
#endif
}

#if !XSAVE_GENERATOR
/// <summary>The generator's runtime-only routines, by the numbers the generator's copy of <see cref="XSaveInstruction"/> gives them.</summary>
internal static class RuntimeRoutine
{
    public const XSaveInstruction CopyRuns = (XSaveInstruction)16;
    public const XSaveInstruction CopyRunsAvx = (XSaveInstruction)17;
    public const XSaveInstruction CheckedRestore = (XSaveInstruction)18;
    public const XSaveInstruction CheckedRestoreAvx = (XSaveInstruction)19;
    public const XSaveInstruction SaveBounced = (XSaveInstruction)20;
    public const XSaveInstruction SaveBouncedAvx = (XSaveInstruction)21;
    public const XSaveInstruction XSaveOptXRstor = (XSaveInstruction)22;
    public const XSaveInstruction PreparedSave = (XSaveInstruction)23;
}
#endif
