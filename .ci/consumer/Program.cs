// Declares its own thunks (generated inside this project by the packaged generator, with the
// packaged Iced) and runs them on the CPU.
using System;
using XSave;

unsafe
{
    if (!XSaveArea.IsSupported)
    {
        Console.WriteLine("consumer: XSAVE cannot run here");
        return 1;
    }

    ulong xcr0 = MyThunks.ReadXcr(0);
    XSaveArea* area = (XSaveArea*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(XSaveArea.Size, XSaveArea.Alignment);
    *area = default;
    MyThunks.SaveCompacted(area);
    bool compacted = area->Header.IsCompacted;
    area->Load();
    Console.WriteLine($"consumer: XCR0=0x{xcr0:X} compacted={compacted} MXCSR=0x{(uint)area->Legacy.Mxcsr:X} thunks={ExecutableMemory.Mappings.Count}");
    return xcr0 == (ulong)XSaveArea.EnabledFeatures && compacted ? 0 : 1;
}

internal static unsafe partial class MyThunks
{
    [XSaveThunk(XSaveInstruction.XGetBv)]
    public static partial ulong ReadXcr(uint register);

    [XSaveThunk(XSaveInstruction.XSaveC)]
    public static partial void SaveCompacted(XSaveArea* area);
}
