namespace XSave;

/// <summary>The compressed forms cores are stored in (systemd-coredump, archives), told by their magic bytes.</summary>
public enum CoreCompression
{
    /// <summary>No compression this library recognises (a plain core starts with the ELF magic).</summary>
    None,
    /// <summary>gzip (1F 8B).</summary>
    Gzip,
    /// <summary>Zstandard (28 B5 2F FD): systemd-coredump's default.</summary>
    Zstd,
    /// <summary>xz (FD 37 7A 58 5A 00): systemd-coredump on older systems.</summary>
    Xz,
    /// <summary>LZ4 frame format (04 22 4D 18): systemd-coredump built with LZ4.</summary>
    Lz4,
    /// <summary>bzip2 ("BZh").</summary>
    Bzip2,
}

/// <summary>Recognises <see cref="CoreCompression"/> and names the command that undoes each.</summary>
public static class CoreCompressionFormat
{
    /// <summary>The longest magic this recognises, in bytes: read at least this many to decide.</summary>
    public const int MagicLength = 6;

    /// <summary>The compression the data starting with <paramref name="start"/> is in.</summary>
    /// <param name="start">The data's first bytes (<see cref="MagicLength"/> suffice).</param>
    /// <returns>The format, or <see cref="CoreCompression.None"/>.</returns>
    public static CoreCompression Detect(ReadOnlySpan<byte> start) =>
        start.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]) ? CoreCompression.Gzip
        : start.StartsWith((ReadOnlySpan<byte>)[0x28, 0xB5, 0x2F, 0xFD]) ? CoreCompression.Zstd
        : start.StartsWith((ReadOnlySpan<byte>)[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) ? CoreCompression.Xz
        : start.StartsWith((ReadOnlySpan<byte>)[0x04, 0x22, 0x4D, 0x18]) ? CoreCompression.Lz4
        : start.StartsWith("BZh"u8) ? CoreCompression.Bzip2
        : CoreCompression.None;

    /// <summary>The command line that decompresses <paramref name="compression"/> to standard output.</summary>
    /// <param name="compression">A compression other than <see cref="CoreCompression.None"/>.</param>
    /// <returns>E.g. "zstd -dc FILE".</returns>
    public static string DecompressCommand(CoreCompression compression) => compression switch
    {
        CoreCompression.Gzip => "gzip -dc FILE",
        CoreCompression.Zstd => "zstd -dc FILE",
        CoreCompression.Xz => "xz -dc FILE",
        CoreCompression.Lz4 => "lz4 -dc FILE",
        CoreCompression.Bzip2 => "bzip2 -dc FILE",
        _ => "cat FILE",
    };
}
