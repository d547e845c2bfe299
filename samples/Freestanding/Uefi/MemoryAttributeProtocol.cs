#pragma warning disable CS0649 // written by the firmware, never by this code

namespace Freestanding.Uefi
{
    /// <summary>
    /// EFI_MEMORY_ATTRIBUTE_PROTOCOL (UEFI 2.10): where the firmware offers it, the way to make a
    /// page read-only and executable after writing it. Older firmware has none.
    /// </summary>
    internal unsafe struct MemoryAttributeProtocol
    {
        public const ulong ReadOnly = 0x20000;   // EFI_MEMORY_RO
        public const ulong ExecuteNever = 0x4000; // EFI_MEMORY_XP

        public void* GetMemoryAttributes;
        public delegate* unmanaged<MemoryAttributeProtocol*, ulong, ulong, ulong, ulong> SetMemoryAttributes;
        public delegate* unmanaged<MemoryAttributeProtocol*, ulong, ulong, ulong, ulong> ClearMemoryAttributes;

        // f4560cf6-40ec-4b4a-a192-bf1d57d0b189
        public static Guid Id => new Guid { Data1 = 0xF4560CF6, Data2 = 0x40EC, Data3 = 0x4B4A, Data4 = 0x89B1D0571DBF92A1 };
    }
}
