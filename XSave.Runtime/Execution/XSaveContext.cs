using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace XSave;

/// <summary>
/// An XSAVE area the library owns, for hot save/restore cycles such as a fiber's extended state:
/// <see cref="Save"/> and <see cref="Restore"/> are the bare XSAVE64/XRSTOR64. No check is needed
/// because the caller can read the area but never write it, so it only ever holds images this
/// CPU saved (docs/design.md). A new context holds the init state. Use a context from one thread
/// at a time.
/// </summary>
public sealed unsafe class XSaveContext
{
    // On the pinned object heap: the address never changes, so the pointer stays valid for the
    // array's lifetime, and the slack lets the area start on a 64-byte boundary.
    private readonly byte[] _memory;
    private readonly int _offset;
    private readonly XSaveArea* _area;

    /// <summary>Creates a context holding the init state.</summary>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64, or XSAVE is not enabled.</exception>
    public XSaveContext()
    {
        Processor.EnsureReady(); // throws where XSAVE cannot run, and reads the layout descriptor below
        _memory = GC.AllocateArray<byte>(XSaveArea.Size + XSaveArea.Alignment - 1, pinned: true);
        fixed (byte* start = _memory)
        {
            _offset = (int)((XSaveArea.Alignment - ((nuint)start % XSaveArea.Alignment)) % XSaveArea.Alignment);
            _area = (XSaveArea*)(start + _offset);
        }

        *_area = XSaveArea.Initial;
        Processor.LayoutDescriptorBytes.CopyTo(_area->AsSpan()[LayoutDescriptor.Offset..]);
    }

    /// <summary>
    /// The saved image, to inspect or copy (<c>XSaveArea copy = context.Area;</c>). Read-only:
    /// writing it would void the guarantee that lets <see cref="Restore"/> skip every check.
    /// The reference keeps the context's memory alive.
    /// </summary>
    public ref readonly XSaveArea Area =>
        ref Unsafe.As<byte, XSaveArea>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_memory), _offset));

    /// <summary>Saves this thread's extended state (<see cref="XSaveArea.SavedFeatures"/>) into the context with XSAVE64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Save()
    {
        Instructions.XSave64(_area);
        GC.KeepAlive(this); // the instruction writes through a raw pointer: the memory must outlive it
    }

    /// <summary>Restores this thread's extended state from the context with XRSTOR64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Restore()
    {
        Instructions.XRstor64(_area);
        GC.KeepAlive(this);
    }
}
