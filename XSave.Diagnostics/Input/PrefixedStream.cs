namespace XSave.Diagnostics;

/// <summary>
/// A forward-only stream that yields <c>prefix</c> and then the rest of <c>inner</c>: bytes peeked
/// from a pipe, handed back. Its position is the count of bytes read (the xz decoder asks for it).
/// </summary>
internal sealed class PrefixedStream(byte[] prefix, Stream inner) : ForwardStream(inner)
{
    private int _used;
    private long _position;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        if (_used < prefix.Length)
        {
            int n = Math.Min(buffer.Length, prefix.Length - _used);
            prefix.AsSpan(_used, n).CopyTo(buffer);
            _used += n;
            _position += n;
            return n;
        }

        int read = Inner.Read(buffer);
        _position += read;
        return read;
    }
}
