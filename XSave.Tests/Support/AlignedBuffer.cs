using System.Runtime.InteropServices;

namespace XSave.Tests.Support;

/// <summary>Native memory at a chosen distance from a 64-byte boundary, freed on dispose.</summary>
internal sealed unsafe class AlignedBuffer : IDisposable
{
    private readonly void* _block;

    public AlignedBuffer(int size, int misalignment = 0)
    {
        _block = NativeMemory.AlignedAlloc((nuint)(size + 64), 64);
        NativeMemory.Clear(_block, (nuint)(size + 64));
        Pointer = (byte*)_block + misalignment;
    }

    public byte* Pointer { get; }

    public ref T As<T>()
        where T : unmanaged => ref *(T*)Pointer;

    public void Dispose() => NativeMemory.AlignedFree(_block);
}
