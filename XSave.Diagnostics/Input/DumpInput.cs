using System.IO.Compression;

namespace XSave.Diagnostics;

/// <summary>What a saved state is stored as, told by its content.</summary>
public enum DumpFormat
{
    /// <summary>Nothing else recognised: read as a raw XSAVE or FXSAVE image (or a saved <see cref="XSaveArea"/>).</summary>
    XSaveImage,
    /// <summary>An ELF file: read with <see cref="LinuxCoreFile"/>.</summary>
    ElfCore,
    /// <summary>A minidump ("MDMP"): read with <see cref="MinidumpFile"/>.</summary>
    Minidump,
    /// <summary>A Windows executable or DLL ("MZ"): holds no thread state.</summary>
    WindowsExecutable,
}

/// <summary>
/// A file, a FIFO or standard input holding a saved state, opened once and recognised by its
/// content: through a decoder when its magic bytes say gzip, zstd, xz, lz4 or bzip2
/// (systemd-coredump stores cores compressed), then as a core, a minidump or an XSAVE image.
/// The bytes looked at to decide are handed on, never read twice, so a pipe works.
/// </summary>
// `source` is closed here: not every decoder closes what it reads.
public sealed class DumpInput : IDisposable
{
    private readonly Stream source;

    private DumpInput(Stream source, Stream stream, CoreCompression compression, DumpFormat format)
    {
        this.source = source;
        Stream = stream;
        Compression = compression;
        Format = format;
    }

    /// <summary>The (decompressed) data from its first byte: seekable only for a plain file.</summary>
    public Stream Stream { get; }

    /// <summary>How the data was stored.</summary>
    public CoreCompression Compression { get; }

    /// <summary>What the (decompressed) data is, by its first bytes.</summary>
    public DumpFormat Format { get; }

    /// <summary>What the data is, for messages: "ELF core", "minidump", "XSAVE image" (what else is read as), with the compression.</summary>
    public string Kind => Format switch
    {
        DumpFormat.ElfCore => "ELF core",
        DumpFormat.Minidump => "minidump",
        DumpFormat.WindowsExecutable => "Windows executable or DLL",
        _ => "XSAVE image",
    } + (Compression == CoreCompression.None ? string.Empty : $", {Compression}-compressed");

    /// <summary>Opens a file, or standard input for "-".</summary>
    /// <param name="path">The file, a FIFO, or "-".</param>
    /// <exception cref="IOException">It is a directory, does not exist or cannot be read, or its compressed data is corrupt.</exception>
    public static DumpInput Open(string path) => Open(path == "-" ? Console.OpenStandardInput() : OpenFile(path));

    /// <summary>Recognises what <paramref name="source"/> holds, from where it is; the input closes it.</summary>
    /// <param name="source">The stored data: need not be seekable.</param>
    /// <exception cref="IOException">Its compressed data is corrupt.</exception>
    public static DumpInput Open(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            Stream raw = source;
            CoreCompression compression = CoreCompressionFormat.Detect(Peek(ref raw, CoreCompressionFormat.MagicLength));
            Stream data = compression switch
            {
                CoreCompression.None => raw,
                CoreCompression.Gzip => new GZipStream(raw, CompressionMode.Decompress),
                CoreCompression.Zstd => new ZstdSharp.DecompressionStream(raw),
                CoreCompression.Xz => new SharpCompress.Compressors.Xz.XZStream(raw),
                CoreCompression.Lz4 => K4os.Compression.LZ4.Streams.LZ4Stream.Decode(raw),
                _ => SharpCompress.Compressors.BZip2.BZip2Stream.Create(raw, SharpCompress.Compressors.CompressionMode.Decompress, decompressConcatenated: true, leaveOpen: false, tolerateTruncatedStream: false),
            };
            data = compression == CoreCompression.None ? data : new DecoderStream(data, compression);
            byte[] start = Peek(ref data, 4); // before `data` is handed on: a forward-only one is replaced
            DumpFormat format = start.AsSpan().StartsWith(FileSignature.Elf) ? DumpFormat.ElfCore
                : start.AsSpan().StartsWith(FileSignature.Minidump) ? DumpFormat.Minidump
                : start.AsSpan().StartsWith(FileSignature.WindowsExecutable) ? DumpFormat.WindowsExecutable
                : DumpFormat.XSaveImage;
            return new DumpInput(source, data, compression, format);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>All the data, for an XSAVE image: at most <paramref name="limit"/> bytes.</summary>
    /// <param name="limit">The most bytes accepted (<see cref="XSaveImage.LargestImage"/> for an image).</param>
    /// <exception cref="IOException">There is more; the message names what the data looks like where its first bytes say.</exception>
    public byte[] ReadAll(int limit)
    {
        using var bytes = new MemoryStream();
        byte[] buffer = new byte[1 << 16];
        int read;
        while ((read = Stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            bytes.Write(buffer, 0, read);
            if (bytes.Length > limit)
            {
                // Where the first bytes say what it is (a DLL, text, compressed data), say that:
                // Parse names those before it would judge the length.
                try
                {
                    XSaveImage.Parse(bytes.GetBuffer().AsSpan(0, 64));
                }
                catch (InvalidXSaveImageException named) when (named.Field != "length")
                {
                    throw;
                }
                catch (InvalidXSaveImageException)
                {
                    // nothing recognisable: too long is all there is to say
                }

                throw new IOException($"The data is larger than {limit} bytes, more than any XSAVE image, and is neither an ELF core nor a minidump.");
            }
        }

        return bytes.ToArray();
    }

    /// <summary>Closes the data and what it was read from.</summary>
    public void Dispose()
    {
        Stream.Dispose();
        source.Dispose();
    }

    private static FileStream OpenFile(string path)
    {
        if (Directory.Exists(path))
        {
            throw new IOException($"'{path}' is a directory, not a file: a saved area, an XSAVE image, a Linux core file or a minidump.");
        }

        if (!File.Exists(path))
        {
            throw new IOException($"'{path}' does not exist.");
        }

        try
        {
            // FileShare.ReadWrite: a FIFO or a file another process still writes opens all the same.
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1 << 16);
        }
        catch (UnauthorizedAccessException)
        {
            throw new IOException($"'{path}' cannot be read: permission denied.");
        }
    }

    // The first `count` bytes (fewer at the end), with `stream` replaced by one that still starts
    // with them: the same stream sought back where it can seek, else the bytes put in front.
    private static byte[] Peek(ref Stream stream, int count)
    {
        byte[] head = new byte[count];
        int read = stream.ReadAtLeast(head, count, throwOnEndOfStream: false);
        Array.Resize(ref head, read);
        if (stream.CanSeek)
        {
            stream.Seek(-read, SeekOrigin.Current);
        }
        else
        {
            stream = new PrefixedStream(head, stream);
        }

        return head;
    }
}
