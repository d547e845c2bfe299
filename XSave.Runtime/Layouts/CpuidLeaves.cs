using System.Runtime.Intrinsics.X86;

namespace XSave;

/// <summary>
/// What CPUID says of XSAVE, read once each: leaf 1 (is XSAVE implemented, has the OS enabled
/// it) and leaf 0DH (where each component lies; sub-leaf 1, which instructions exist). The layout's source, so it lives with the
/// layouts; the processor (<see cref="Processor"/>) builds its profile on it. Leaf 0DH's answers
/// are checked before use (it may lie, e.g. inside an SGX enclave): no size is ever taken from it.
/// </summary>
internal static class CpuidLeaves
{
    // 0 means not read yet, so a cached answer carries Read (bit 31) once it is.
    private static int s_leaf1; // XSAVE implemented (bit 0), enabled by the OS (bit 1)
    private static int s_leafD1; // CPUID.(0DH,1).EAX (bits 5–31 are reserved)
    private const int Read = int.MinValue;

    // No static initialisers in this class: under NativeAOT a class constructor would put a
    // "has it run?" check in front of every read. Every CPUID is a VM exit in a guest (6–11 µs on
    // the one in docs/benchmarks.md): leaves are read once, and only when something needs them.

    /// <summary>True on x86-64 when the OS has enabled XSAVE (CPUID.1:ECX.OSXSAVE[bit 27]).</summary>
    public static bool IsXSaveEnabled => (Leaf1 & 2) != 0;

    /// <summary>True on x86-64 when the processor implements XSAVE and so CPUID leaf 0DH (CPUID.1:ECX.XSAVE[bit 26]).</summary>
    public static bool IsXSaveImplemented => (Leaf1 & 1) != 0;

    /// <summary>This CPU's standard layout from CPUID leaf 0DH, or null where there is no XSAVE.</summary>
    public static XSaveLayout? Layout => Leaf0D.Value.Layout;

    /// <summary>The components whose compacted slot starts on a 64-byte boundary, from the same leaf.</summary>
    public static XFeatures Aligned64 => Leaf0D.Value.Aligned64;

    /// <summary>
    /// CPUID.(0DH,1).EAX (XSAVEOPT bit 0, XSAVEC bit 1, XGETBV with ECX = 1 bit 2), read when first
    /// asked (not by every first Save); no bit set where XSAVE is not implemented.
    /// </summary>
    public static int LeafD1Eax
    {
        get
        {
            int known = s_leafD1;
            if (known == 0)
            {
                s_leafD1 = known = Read | (IsXSaveImplemented ? X86Base.CpuId(0xD, 1).Eax : 0);
            }

            return known;
        }
    }

    private static int Leaf1
    {
        get
        {
            int known = s_leaf1;
            if (known == 0)
            {
                known = Read;
                if (RuntimeInformation.ProcessArchitecture == Architecture.X64 && X86Base.IsSupported)
                {
                    int ecx = X86Base.CpuId(1, 0).Ecx;
                    known |= ((ecx >> 26) & 1) | (((ecx >> 27) & 1) << 1);
                }

                s_leaf1 = known;
            }

            return known;
        }
    }

    // Read only where XSAVE is implemented (leaf 1 says so: no leaf 0, each CPUID being a VM exit
    // in a guest). A class of its own so its initialiser runs on first use, not in front of every
    // read of leaf 1.
    private static class Leaf0D
    {
        public static readonly (XSaveLayout? Layout, XFeatures Aligned64) Value = Read();

        private static (XSaveLayout?, XFeatures) Read()
        {
            if (!IsXSaveImplemented)
            {
                return (null, XFeatures.None);
            }

            var supportedLeaf = X86Base.CpuId(0xD, 0);
            var supported = (XFeatures)((uint)supportedLeaf.Eax | ((ulong)(uint)supportedLeaf.Edx << 32));
            Span<CpuidComponent> subleaves = stackalloc CpuidComponent[StateComponent.Count];
            for (int i = 2; i < StateComponent.Count; i++)
            {
                if (((ulong)supported & (1UL << i)) != 0)
                {
                    var leaf = X86Base.CpuId(0xD, i);
                    subleaves[i] = new CpuidComponent(leaf.Eax, leaf.Ebx, (uint)leaf.Ecx);
                }
            }

            return (XSaveLayout.FromCpuid(supported, subleaves), XSaveLayout.Aligned64FromCpuid(supported, subleaves));
        }
    }
}
