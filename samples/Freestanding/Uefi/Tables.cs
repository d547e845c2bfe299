// The parts of the UEFI system table this image calls (UEFI 2.10, x64). The firmware fills them in.
#pragma warning disable CS0649 // written by the firmware, never by this code

namespace Freestanding.Uefi
{
    internal unsafe struct TableHeader
    {
        public ulong Signature;
        public uint Revision;
        public uint HeaderSize;
        public uint Crc32;
        public uint Reserved;
    }

    internal unsafe struct SystemTable
    {
        public TableHeader Header;
        public char* FirmwareVendor;
        public uint FirmwareRevision;
        public void* ConsoleInHandle;
        public void* ConsoleIn;
        public void* ConsoleOutHandle;
        public TextOutput* ConsoleOut;
        public void* StandardErrorHandle;
        public TextOutput* StandardError;
        public RuntimeServices* RuntimeServices;
        public BootServices* BootServices;
    }

    internal unsafe struct TextOutput
    {
        public void* Reset;
        public delegate* unmanaged<TextOutput*, char*, ulong> OutputString;
    }

    internal unsafe struct RuntimeServices
    {
        public TableHeader Header;
        public void* GetTime, SetTime, GetWakeupTime, SetWakeupTime, SetVirtualAddressMap, ConvertPointer;
        public void* GetVariable, GetNextVariableName, SetVariable, GetNextHighMonotonicCount;
        public delegate* unmanaged<ResetType, ulong, ulong, void*, void> ResetSystem;
    }

    internal enum ResetType
    {
        Cold = 0,
        Warm = 1,
        Shutdown = 2,
    }

    internal unsafe struct BootServices
    {
        public TableHeader Header;
        public void* RaiseTpl, RestoreTpl;
        public delegate* unmanaged<AllocateType, MemoryType, ulong, ulong*, ulong> AllocatePages;
        public void* FreePages, GetMemoryMap, AllocatePool, FreePool;
        public void* CreateEvent, SetTimer, WaitForEvent, SignalEvent, CloseEvent, CheckEvent;
        public void* InstallProtocolInterface, ReinstallProtocolInterface, UninstallProtocolInterface, HandleProtocol, Reserved;
        public void* RegisterProtocolNotify, LocateHandle, LocateDevicePath, InstallConfigurationTable;
        public void* LoadImage, StartImage, Exit, UnloadImage, ExitBootServices;
        public void* GetNextMonotonicCount, Stall, SetWatchdogTimer, ConnectController, DisconnectController;
        public void* OpenProtocol, CloseProtocol, OpenProtocolInformation, ProtocolsPerHandle, LocateHandleBuffer;
        public delegate* unmanaged<Guid*, void*, void**, ulong> LocateProtocol;
    }

    internal enum AllocateType
    {
        AnyPages = 0,
    }

    internal enum MemoryType
    {
        LoaderCode = 1,
        LoaderData = 2,
    }

    internal struct Guid
    {
        public uint Data1;
        public ushort Data2;
        public ushort Data3;
        public ulong Data4; // the eight bytes in order, read little-endian
    }
}
