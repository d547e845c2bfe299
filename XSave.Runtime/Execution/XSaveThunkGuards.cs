using System.ComponentModel;

namespace XSave.__Internals;

/// <summary>
/// The checks generated <see cref="XSaveThunkAttribute"/> bodies run before their instruction,
/// so that misuse becomes an exception instead of a #GP that ends the process. Called by
/// generated code only: out of sight in the editor and in a namespace of its own (as
/// CommunityToolkit's <c>__Internals</c>), so that no user writes against it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class XSaveThunkGuards
{
    private static ulong s_passed; // the instructions that passed; no static initialiser: NativeAOT would check a class constructor on every call

    /// <summary>Throws <see cref="PlatformNotSupportedException"/> unless this CPU and OS can execute <paramref name="instruction"/>.</summary>
    /// <param name="instruction">The instruction about to run.</param>
    public static void RequireInstruction(XSaveInstruction instruction)
    {
        // What the CPU and OS provide cannot change in a process: once an instruction has passed,
        // each later call of its thunks costs one load and test, not the table and the profile.
        ulong bit = 1UL << (int)instruction;
        if ((uint)instruction >= 64 || (s_passed & bit) == 0)
        {
            CheckInstruction(instruction);
            s_passed |= bit; // a racing thread's bit lost here only means one more check
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CheckInstruction(XSaveInstruction instruction)
    {
        InstructionRequirement requires = InstructionTable.Of(instruction).Requires;
        if (requires == InstructionRequirement.X64)
        {
            Processor.ThrowIfNotX64();
            return;
        }

        Processor.ThrowIfXSaveUnavailable();
        bool supported = requires switch
        {
            InstructionRequirement.XSaveOpt => Processor.Profile.HasXSaveOpt,
            InstructionRequirement.XSaveC => Processor.Profile.HasXSaveC,
            _ => true,
        };
        if (!supported)
        {
            throw new PlatformNotSupportedException($"This CPU does not implement {instruction.ToString().ToUpperInvariant()} (CPUID.(EAX=0DH,ECX=1):EAX).");
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="address"/> is non-null and a multiple of <paramref name="alignment"/>.</summary>
    /// <param name="address">The area's address.</param>
    /// <param name="alignment">The alignment the instruction needs (64 for XSAVE, 16 for FXSAVE).</param>
    /// <param name="parameter">The parameter's name, for the message.</param>
    public static void RequireAlignedArea(void* address, int alignment, string parameter)
    {
        if (address == null)
        {
            throw new ArgumentNullException(parameter, "The area pointer is null.");
        }

        if (((nuint)address & (nuint)(alignment - 1)) != 0)
        {
            throw new ArgumentException(
                $"The area at 0x{(nuint)address:X} is not {alignment}-byte aligned, which the instruction requires (it would raise #GP). XSaveArea.Save/Load accept any alignment.",
                parameter);
        }
    }

    /// <summary>The stack bytes a checked restore's private copy needs: a page and its alignment.</summary>
    public const int ScratchBytes = XSaveArea.Size + XSaveArea.Alignment;

    /// <summary>
    /// Copies what XRSTOR with <paramref name="mask"/> will read from <paramref name="area"/> into
    /// <paramref name="scratch"/>, checks the copy and returns it, aligned: restoring the copy
    /// loads what was checked, whatever another thread writes to <paramref name="area"/> meanwhile.
    /// Throws <see cref="InvalidXSaveAreaException"/> if XRSTOR of it would fault or load a hazard
    /// (<see cref="RestoreHazards"/>).
    /// </summary>
    /// <param name="area">The caller's area.</param>
    /// <param name="mask">The requested-feature mask, already limited to <see cref="XSaveArea.SafeFeatures"/>.</param>
    /// <param name="scratch"><see cref="ScratchBytes"/> bytes of the caller's stack.</param>
    /// <returns>The checked copy, 64-byte aligned, inside <paramref name="scratch"/>.</returns>
    public static XSaveArea* ValidatedCopy(XSaveArea* area, ulong mask, byte* scratch)
    {
        var copy = (XSaveArea*)(((nuint)scratch + (XSaveArea.Alignment - 1)) & ~(nuint)(XSaveArea.Alignment - 1));
        XSaveArea.CopyWhatXRstorReads(area, copy);
        RestoreValidation.ThrowIfInvalid(in *copy, (XFeatures)mask & XSaveArea.SafeFeatures, Processor.Profile, RestoreHazards.None);
        return copy;
    }

    /// <summary>
    /// Copies <paramref name="region"/> into <paramref name="scratch"/>, checks the copy and returns
    /// it, aligned: throws <see cref="InvalidXSaveAreaException"/> if FXRSTOR of it would fault or
    /// load a hazard.
    /// </summary>
    /// <param name="region">The caller's region.</param>
    /// <param name="scratch"><see cref="ScratchBytes"/> bytes of the caller's stack.</param>
    /// <returns>The checked copy, 16-byte aligned, inside <paramref name="scratch"/>.</returns>
    public static LegacyRegion* ValidatedCopy(LegacyRegion* region, byte* scratch)
    {
        var copy = (LegacyRegion*)(((nuint)scratch + (LegacyRegion.Alignment - 1)) & ~(nuint)(LegacyRegion.Alignment - 1));
        *copy = *region;
        RestoreValidation.ThrowIfInvalid(in *copy, Processor.LegacyMxcsrMask);
        return copy;
    }

    /// <summary>
    /// Throws <see cref="InvalidXSaveAreaException"/> (<see cref="RestoreRule.MxcsrReservedBits"/>,
    /// <see cref="RestoreRule.MxcsrExceptionUnmasked"/>) unless LDMXCSR of <paramref name="value"/>
    /// neither faults nor unmasks an exception: the rules a restore checks MXCSR by.
    /// </summary>
    /// <param name="value">The MXCSR about to be loaded.</param>
    public static void ValidateMxcsr(uint value) => RestoreValidation.ThrowIfInvalidMxcsr(value, Processor.LegacyMxcsrMask, RestoreHazards.None);

    /// <summary>
    /// Throws <see cref="InvalidXSaveAreaException"/> (<see cref="RestoreRule.X87ExceptionUnmasked"/>)
    /// unless FLDCW of <paramref name="value"/> leaves every x87 exception masked.
    /// </summary>
    /// <param name="value">The FCW about to be loaded.</param>
    public static void ValidateX87ControlWord(ushort value)
    {
        Processor.ThrowIfNotX64();
        RestoreValidation.ThrowIfInvalidFcw(value, RestoreHazards.None);
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless XGETBV can read <paramref name="register"/> on this CPU.</summary>
    /// <param name="register">The XCR number: 0 (XCR0), or 1 (XINUSE) where CPUID.(0DH,1):EAX[2] says so.</param>
    public static void ValidateXGetBvRegister(uint register)
    {
        Processor.ThrowIfXSaveUnavailable();
        if (register == 0 || (register == 1 && Processor.Profile.HasXGetBv1))
        {
            return;
        }

        throw new ArgumentOutOfRangeException(nameof(register), register,
            "XGETBV reads XCR0 (0) and, where CPUID.(0DH,1):EAX[2] is set, XCR1 (1); any other register raises #GP.");
    }
}
