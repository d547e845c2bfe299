using Freestanding.Uefi;

namespace Freestanding
{
    /// <summary>
    /// Memory for XSaveThunks.Install: firmware pages of loader code, written once, then made
    /// read-only (and executable) through the memory attribute protocol where the firmware has
    /// it. Firmware without it keeps its own attributes for loader code, which this image cannot
    /// change: <see cref="Protection"/> says which happened.
    /// </summary>
    internal static unsafe class CodePages
    {
        private static BootServices* s_boot;
        private static int s_protection; // no static of a reference type: there is no GC heap for it

        public static string Protection => s_protection switch
        {
            1 => "loader-code pages as the firmware maps them (it has no EFI_MEMORY_ATTRIBUTE_PROTOCOL to drop write access)",
            2 => "read-only and executable (EFI_MEMORY_ATTRIBUTE_PROTOCOL)",
            _ => "not mapped",
        };

        public static void Attach(BootServices* boot) => s_boot = boot;

        /// <summary>Writable loader-code pages for the thunks.</summary>
        public static byte* Allocate(nuint length)
        {
            ulong address = 0;
            return s_boot->AllocatePages(AllocateType.AnyPages, MemoryType.LoaderCode, Pages(length), &address) == 0 ? (byte*)address : null;
        }

        /// <summary>Drops write access where the firmware lets this image, keeping execute.</summary>
        public static bool Protect(byte* code, nuint length)
        {
            Guid id = MemoryAttributeProtocol.Id;
            MemoryAttributeProtocol* attributes = null;
            if (s_boot->LocateProtocol(&id, null, (void**)&attributes) != 0 || attributes == null)
            {
                s_protection = 1;
                return true;
            }

            ulong bytes = Pages(length) * 4096;
            if (attributes->SetMemoryAttributes(attributes, (ulong)code, bytes, MemoryAttributeProtocol.ReadOnly) != 0 ||
                attributes->ClearMemoryAttributes(attributes, (ulong)code, bytes, MemoryAttributeProtocol.ExecuteNever) != 0)
            {
                return false;
            }

            s_protection = 2;
            return true;
        }

        private static ulong Pages(nuint length) => ((ulong)length + 4095) / 4096;
    }
}
