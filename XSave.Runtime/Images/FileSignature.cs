namespace XSave;

/// <summary>
/// The first bytes of the files an XSAVE image is confused with, told apart by
/// <see cref="XSaveImage.Parse(ReadOnlySpan{byte}, XSaveLayout?)"/> and by XSave.Diagnostics' readers.
/// </summary>
public static class FileSignature
{
    /// <summary>An ELF file's magic (a Linux core file is one).</summary>
    public static ReadOnlySpan<byte> Elf => "\u007FELF"u8;

    /// <summary>A minidump's signature, "MDMP".</summary>
    public static ReadOnlySpan<byte> Minidump => "MDMP"u8;

    /// <summary>A Windows executable's or DLL's DOS header, "MZ".</summary>
    public static ReadOnlySpan<byte> WindowsExecutable => "MZ"u8;
}
