namespace XSave;

/// <summary>Where one state component lies in an area.</summary>
/// <param name="Offset">Byte offset from the start of the area.</param>
/// <param name="Size">Size in bytes.</param>
public readonly record struct ComponentSlot(int Offset, int Size)
{
    /// <summary>The first byte after the slot.</summary>
    public int End => Offset + Size;
}
