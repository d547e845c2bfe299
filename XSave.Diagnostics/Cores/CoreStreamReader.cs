namespace XSave.Diagnostics;

/// <summary>
/// Reads a core's parts at increasing offsets from any readable stream. A seekable one (a file)
/// seeks over the bytes between and knows its length, so a part claimed past the end is refused
/// before anything is allocated; a forward-only one (a pipe, a decompressing stream) reads and
/// discards them, and grows a part only as its bytes arrive, so memory is bounded by what the
/// stream really holds. A part before the current position is refused on a forward-only stream.
/// </summary>
internal sealed class CoreStreamReader(Stream stream)
{
    private const int Chunk = 1 << 16;
    private readonly long _start = stream.CanSeek ? stream.Position : 0;
    private ulong _position;
    private byte[]? _discard;

    /// <summary>The core's length, where the stream knows it.</summary>
    public ulong? Length => stream.CanSeek ? (ulong)(stream.Length - _start) : null;

    // The `length` bytes at `offset` from the core's start; `allowShort` returns fewer at the end
    // instead of refusing (for the ELF header, which its reader judges).
    public byte[] Read(ulong offset, ulong length, string what, bool allowShort = false)
    {
        if (Length is { } known && !allowShort && (offset > known || length > known - offset))
        {
            throw PastTheEnd(what, offset, length, $"the end of the {known}-byte file");
        }

        if (length > int.MaxValue)
        {
            throw new InvalidXSaveImageException(what, $"The {what} at {offset} claims {length} bytes, more than any core's notes hold.");
        }

        MoveTo(offset, what);
        using var bytes = new MemoryStream();
        byte[] buffer = _discard ??= new byte[Chunk];
        while ((ulong)bytes.Length < length)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min((ulong)buffer.Length, length - (ulong)bytes.Length));
            if (read == 0)
            {
                break;
            }

            bytes.Write(buffer, 0, read);
        }

        _position = offset + (ulong)bytes.Length;
        if ((ulong)bytes.Length < length && !allowShort)
        {
            throw PastTheEnd(what, offset, length, $"the end of the stream at {_position}");
        }

        return bytes.ToArray();
    }

    private void MoveTo(ulong offset, string what)
    {
        if (stream.CanSeek)
        {
            stream.Position = _start + (long)offset;
            _position = offset;
            return;
        }

        if (offset < _position)
        {
            throw new InvalidXSaveImageException(what, $"The {what} at {offset} lies before bytes already read ({_position}), and the stream cannot go back: save the core to a file first.");
        }

        byte[] buffer = _discard ??= new byte[Chunk];
        while (_position < offset)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min((ulong)buffer.Length, offset - _position));
            if (read == 0)
            {
                throw PastTheEnd(what, offset, 0, $"the end of the stream at {_position}");
            }

            _position += (ulong)read;
        }
    }

    private static InvalidXSaveImageException PastTheEnd(string what, ulong offset, ulong length, string end) =>
        new(what, $"The {what} at {offset} ({length} bytes) lies past {end}.");
}
