namespace XSave.Diagnostics;

/// <summary>A thread's two floating-point control words, as <see cref="TracedThread.ReadControlWords"/> reads them.</summary>
/// <param name="Mxcsr">MXCSR, its exception flags (bits 0–5) included.</param>
/// <param name="X87ControlWord">The x87 control word, FCW.</param>
public readonly record struct ControlWords(Mxcsr Mxcsr, X87ControlWord X87ControlWord)
{
    /// <summary>MXCSR without its exception flags: what code set, not what arithmetic raised.</summary>
    public Mxcsr MxcsrControl => Mxcsr & ~Mxcsr.AllExceptionFlags;

    /// <summary>The words from a 512-byte legacy region (FXSAVE's format: FCW at byte 0, MXCSR at byte 24).</summary>
    internal static ControlWords FromLegacyRegion(ReadOnlySpan<byte> region) =>
        new((Mxcsr)BinaryPrimitives.ReadUInt32LittleEndian(region[RestoreChecks.MxcsrOffset..]), (X87ControlWord)BinaryPrimitives.ReadUInt16LittleEndian(region[RestoreChecks.FcwOffset..]));
}
