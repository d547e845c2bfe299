namespace XSave;

/// <summary>What kind of XSAVE image <see cref="XSaveImage.Parse"/> recognised.</summary>
public enum XSaveImageFormat
{
    /// <summary>A 512-byte FXSAVE image: x87 and SSE only, no header.</summary>
    FxSave,
    /// <summary>A standard-format XSAVE image with nothing recording its layout.</summary>
    Standard,
    /// <summary>A compacted XSAVEC/XSAVES image (XCOMP_BV bit 63): self-describing.</summary>
    Compacted,
    /// <summary>Linux <c>NT_X86_XSTATE</c> (ptrace PTRACE_GETREGSET, core files): standard format, XCR0 at byte 464.</summary>
    LinuxXState,
    /// <summary>A standard-format area that records its layout in bytes 464–511 (saved by <see cref="XSaveArea.Save"/> or converted by this library).</summary>
    Recorded,
    /// <summary>A Linux signal frame's xstate: <c>struct _fpx_sw_bytes</c> at byte 464 (magic 0x46505853).</summary>
    LinuxSignalFrame,
}
