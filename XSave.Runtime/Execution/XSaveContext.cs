using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace XSave;

/// <summary>
/// An XSAVE area the library owns, for hot save/restore cycles such as a fiber's or a
/// coroutine's extended state: <see cref="Save"/> and <see cref="Restore"/> are the bare
/// XSAVE64/XRSTOR64, with no checks, because none is needed.
/// <para>
/// Why that is safe: the caller can read the area (<see cref="Area"/>) but never write it. The
/// header is written once, here (XCOMP_BV and the reserved bytes zero), and XSAVE never writes
/// them; XSAVE sets only XSTATE_BV bits it saved, all within XCR0; every component, MXCSR
/// included, only ever holds what this CPU's registers held. So the memory only ever holds images
/// XRSTOR accepts: a restore cannot fault. Use a context from one thread at a time, as a fiber's
/// context is: a restore racing a save on another thread could read a mixture of two images (and
/// a mixed AMX tile configuration is one XRSTOR refuses). Contrast <see cref="XSaveArea"/>, whose
/// bytes the caller owns, so <see cref="XSaveArea.Save"/> has to normalise them and
/// <see cref="XSaveArea.Load()"/> has to check them.
/// </para>
/// <para>
/// A new context holds the init state (FCW 0x037F, MXCSR 0x1F80, XSTATE_BV 0): restoring it
/// before any save starts a fiber from a clean state. To put an existing area's state into a
/// context, load the area (<see cref="XSaveArea.Load()"/>, which checks it) and save the context.
/// </para>
/// <para>
/// XSAVEOPT is not offered here: it is only correct while nothing wrote the memory since the
/// last XRSTOR from the same address on that processor, and a context saved from another thread,
/// or a collected context whose address a new one reuses, breaks that silently.
/// </para>
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
