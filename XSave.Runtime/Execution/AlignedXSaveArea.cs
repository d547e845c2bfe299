namespace XSave;

/// <summary>
/// An <see cref="XSaveArea"/> that always starts on a 64-byte boundary and never moves: what raw
/// XSAVE/XRSTOR thunks (<c>[XSaveThunk]</c> without the library's bounce) need, since an area on
/// the stack, in a field or an array element has no such guarantee. It holds the init state
/// when created. The memory is a pinned array, released by the garbage collector.
/// </summary>
public sealed unsafe class AlignedXSaveArea
{
    // On the pinned object heap: the address never changes, so the pointer stays valid for the
    // array's lifetime, and the slack lets the area start on a 64-byte boundary.
    private readonly byte[] _memory;
    private readonly int _offset;

    /// <summary>Creates an aligned area holding <see cref="XSaveArea.Initial"/>.</summary>
    public AlignedXSaveArea()
    {
        _memory = GC.AllocateArray<byte>(XSaveArea.Size + XSaveArea.Alignment - 1, pinned: true);
        fixed (byte* start = _memory)
        {
            _offset = (int)((XSaveArea.Alignment - ((nuint)start % XSaveArea.Alignment)) % XSaveArea.Alignment);
        }

        Area = XSaveArea.Initial;
    }

    /// <summary>The area, to pass as <c>ref</c> or <c>in</c> to a thunk, or to read and write. The reference keeps this object alive.</summary>
    public ref XSaveArea Area =>
        ref Unsafe.As<byte, XSaveArea>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_memory), _offset));

    /// <summary>The area's address, for thunks that take <c>XSaveArea*</c>. Valid while this object is alive (<see cref="GC.KeepAlive(object)"/>).</summary>
    public XSaveArea* Pointer => (XSaveArea*)Unsafe.AsPointer(ref Area);
}
