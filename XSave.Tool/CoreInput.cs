using System;
using System.IO;
using System.IO.Compression;

namespace XSave.Tool;

/// <summary>
/// What 'xsave read' was given, opened once: a file, a FIFO, standard input ("-" or /dev/stdin),
/// and through a decoder when its magic bytes say gzip, zstd, xz, lz4 or bzip2 (systemd-coredump
/// stores cores compressed). The bytes looked at to decide are handed on, never read twice.
/// </summary>
// `source` is closed here: not every decoder closes what it reads.
internal sealed class CoreInput(Stream source, Stream stream, CoreCompression compression, byte[] start) : IDisposable
{
    /// <summary>The (decompressed) data from its first byte: seekable only for a plain file.</summary>
    public Stream Stream => stream;

    /// <summary>How the data was stored.</summary>
    public CoreCompression Compression => compression;

    /// <summary>True when the data starts with the ELF magic (a core file).</summary>
    public bool IsElf => start.AsSpan().SequenceEqual("\u007FELF"u8);

    /// <summary>True when the data starts with a minidump's signature ("MDMP").</summary>
    public bool IsMinidump => MinidumpFile.IsMinidump(start);

    /// <summary>What the data is, by its first bytes, for messages: "ELF core", "minidump", a PE file, or else "XSAVE image" (what it is read as).</summary>
    public string Kind => (IsElf ? "ELF core" : IsMinidump ? "minidump" : start.AsSpan().StartsWith("MZ"u8) ? "Windows executable or DLL" : "XSAVE image") + (compression == CoreCompression.None ? string.Empty : $", {compression}-compressed");

    public static CoreInput Open(string path)
    {
        Stream source = path == "-" ? Console.OpenStandardInput() : OpenFile(path);
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
            return new CoreInput(source, data, compression, start);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>All the data, for an XSAVE image: at most <paramref name="limit"/> bytes.</summary>
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

    public void Dispose()
    {
        Stream.Dispose();
        source.Dispose();
    }

    private static FileStream OpenFile(string path)
    {
        if (Directory.Exists(path))
        {
            throw new IOException($"'{path}' is a directory; 'xsave read' takes a file: a saved area, an XSAVE image, a Linux core file or a minidump.");
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
