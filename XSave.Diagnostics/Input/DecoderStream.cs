namespace XSave.Diagnostics;

/// <summary>
/// A decompressing stream whose failures on corrupt data (each decoder has exceptions of its
/// own) become one <see cref="IOException"/> that names the format and the command that says more.
/// </summary>
internal sealed class DecoderStream(Stream decoder, CoreCompression compression) : ForwardStream(decoder)
{
    public override int Read(Span<byte> buffer)
    {
        try
        {
            return Inner.Read(buffer);
        }
        catch (Exception e) when (e is not IOException)
        {
            throw new IOException($"The {compression} data is corrupt or truncated ({e.Message}); '{CoreCompressionFormat.DecompressCommand(compression)}' may say more.", e);
        }
    }
}
