using System;
using System.IO;

namespace XSave.Tool;

/// <summary>
/// A decompressing stream whose failures on corrupt data (each decoder has exceptions of its
/// own) become one <see cref="IOException"/> that names the format and the command that says more.
/// </summary>
internal sealed class DecoderStream(Stream decoder, CoreCompression compression) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return decoder.Read(buffer);
        }
        catch (Exception e) when (e is not IOException)
        {
            throw new IOException($"The {compression} data is corrupt or truncated ({e.Message}); '{CoreCompressionFormat.DecompressCommand(compression)}' may say more.", e);
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            decoder.Dispose();
        }

        base.Dispose(disposing);
    }
}
