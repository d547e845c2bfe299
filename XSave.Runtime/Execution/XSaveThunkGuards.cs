using System;
using System.ComponentModel;

namespace XSave;

/// <summary>
/// The checks generated <see cref="XSaveThunkAttribute"/> bodies run before their instruction,
/// so that misuse becomes an exception instead of a #GP that ends the process. Called by
/// generated code; not meant to be called directly.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class XSaveThunkGuards
{
    /// <summary>Throws <see cref="PlatformNotSupportedException"/> unless this CPU and OS can execute <paramref name="instruction"/>.</summary>
    /// <param name="instruction">The instruction about to run.</param>
    public static void RequireInstruction(XSaveInstruction instruction)
    {
        if (instruction is XSaveInstruction.FxSave or XSaveInstruction.FxRstor)
        {
            Processor.ThrowIfNotX64();
            return;
        }

        Processor.ThrowIfXSaveUnavailable();
        bool supported = instruction switch
        {
            XSaveInstruction.XSaveOpt => Processor.HasXSaveOpt,
            XSaveInstruction.XSaveC or XSaveInstruction.XSaveCXRstor => Processor.HasXSaveC,
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

    /// <summary>Throws <see cref="InvalidXSaveAreaException"/> if XRSTOR of <paramref name="area"/> with <paramref name="mask"/> would fault or load a hazard (<see cref="RestoreHazards"/>).</summary>
    /// <param name="area">The area about to be restored.</param>
    /// <param name="mask">The requested-feature mask, already limited to <see cref="XSaveArea.SafeFeatures"/>.</param>
    public static void ValidateRestore(XSaveArea* area, ulong mask) =>
        RestoreValidation.ThrowIfInvalid(in *area, (XFeatures)mask & XSaveArea.SafeFeatures, Processor.Profile, RestoreHazards.None);

    /// <summary>Throws <see cref="InvalidXSaveAreaException"/> if FXRSTOR of <paramref name="region"/> would fault or load a hazard.</summary>
    /// <param name="region">The region about to be restored.</param>
    public static void ValidateFxRestore(LegacyRegion* region) =>
        RestoreValidation.ThrowIfInvalid(in *region, Processor.MxcsrMask);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless XGETBV can read <paramref name="register"/> on this CPU.</summary>
    /// <param name="register">The XCR number: 0 (XCR0), or 1 (XINUSE) where CPUID.(0DH,1):EAX[2] says so.</param>
    public static void ValidateXGetBvRegister(uint register)
    {
        Processor.ThrowIfXSaveUnavailable();
        if (register == 0 || (register == 1 && Processor.HasXGetBv1))
        {
            return;
        }

        throw new ArgumentOutOfRangeException(nameof(register), register,
            "XGETBV reads XCR0 (0) and, where CPUID.(0DH,1):EAX[2] is set, XCR1 (1); any other register raises #GP.");
    }
}
