using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace XSave;

/// <summary>
/// What the running processor and OS allow. CPUID only answers yes/no questions here (is XSAVE
/// enabled, does XSAVEC exist); what is enabled comes from XCR0 itself, and no size or offset is
/// ever taken from CPUID (it may lie, e.g. inside an SGX enclave).
/// </summary>
internal static unsafe class Processor
{
    private const int Uninitialised = 0, Ready = 1;
    private static int s_state;
    private static Snapshot s_current;
    private static (int Component, int Start, int Length)[]? s_savedSlots;
    // Cached CPUID answers; 0 means not read yet, so each carries Read (bit 31) once it is.
    private static int s_leaf1;  // XSAVE implemented (bit 0), enabled by the OS (bit 1)
    private static int s_leafD1; // CPUID.(0DH,1).EAX (bits 5–31 are reserved)
    private const int Read = int.MinValue;

    // No static initialisers in this class: under NativeAOT a class constructor would put a
    // "has it run?" check in front of every field read on the Save/Load path.

    // Every CPUID is a VM exit in a guest (6–11 µs here, docs/benchmarks.md), and the first call
    // in a process pays for each one: leaves are read once, and only when something needs them.

    /// <summary>True on x86-64 when the OS has enabled XSAVE (CPUID.1:ECX.OSXSAVE[bit 27]).</summary>
    public static bool IsXSaveEnabled => (Leaf1 & 2) != 0;

    /// <summary>True on x86-64 when the processor implements XSAVE and so CPUID leaf 0DH (CPUID.1:ECX.XSAVE[bit 26]).</summary>
    public static bool IsXSaveImplemented => (Leaf1 & 1) != 0;

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

    /// <summary>This CPU's layout descriptor (bytes 464–511 of every area it saves): a view of <see cref="Snapshot.Descriptor"/>.</summary>
    public static ReadOnlySpan<byte> LayoutDescriptorBytes =>
        MemoryMarshal.AsBytes((ReadOnlySpan<ulong>)Current.Descriptor);

    // CPUID.(EAX=0DH,ECX=1).EAX: bit 0 XSAVEOPT, bit 1 XSAVEC, bit 2 XGETBV with ECX=1 (SDM vol. 1 §13.2).
    public static bool HasXSaveOpt => (LeafD1 & 1) != 0;
    public static bool HasXSaveC => (LeafD1 & 2) != 0;
    public static bool HasXGetBv1 => (LeafD1 & 4) != 0;

    private static int LeafD1
    {
        get
        {
            int known = s_leafD1;
            if (known == 0)
            {
                ThrowIfXSaveUnavailable();
                s_leafD1 = known = X86Base.CpuId(0xD, 1).Eax | Read;
            }

            return known;
        }
    }

    /// <summary>What restores are checked against, in the shape the fast path reads.</summary>
    internal struct Snapshot
    {
        public ulong Xcr0;
        public uint MxcsrMask;
        public DescriptorWords Descriptor;

        /// <summary>Bits of header bytes 0–15 a restore must not see set: XSTATE_BV outside XCR0, any of XCOMP_BV.</summary>
        public Vector128<ulong> RestoreHeaderRejects;

        /// <summary>Bits of header bytes 0–15 that Save must clear: XSTATE_BV outside what XSAVE writes (XCR0 within the safe set), any of XCOMP_BV.</summary>
        public Vector128<ulong> SaveHeaderRejects;

        /// <summary>Bits of legacy bytes 16–31 a restore must not see set: MXCSR (bytes 24–27) outside MXCSR_MASK.</summary>
        public Vector128<uint> MxcsrRejects;

        public static Snapshot Create(XFeatures xcr0, uint mxcsrMask, XSaveLayout? layout)
        {
            var snapshot = new Snapshot
            {
                Xcr0 = (ulong)xcr0,
                MxcsrMask = mxcsrMask,
                RestoreHeaderRejects = Vector128.Create(~(ulong)xcr0, ulong.MaxValue),
                SaveHeaderRejects = Vector128.Create(~(ulong)(xcr0 & XSaveArea.SafeFeatures), ulong.MaxValue),
                MxcsrRejects = Vector128.Create(0, 0, ~mxcsrMask, 0),
            };
            if (layout is not null)
            {
                LayoutDescriptor.Write(layout, MemoryMarshal.AsBytes((Span<ulong>)snapshot.Descriptor));
            }

            return snapshot;
        }
    }

    /// <summary>The 48-byte layout descriptor as six words, the shape the fast path compares.</summary>
    [InlineArray(LayoutDescriptor.Length / sizeof(ulong))]
    internal struct DescriptorWords
    {
        private ulong _word;
    }

    /// <summary>The snapshot, after the first call has read the CPU (throws where XSAVE cannot run).</summary>
    public static ref readonly Snapshot Current
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            EnsureReady();
            return ref s_current;
        }
    }

    /// <summary>XCR0, read once with XGETBV.</summary>
    public static XFeatures Xcr0
    {
        get
        {
            EnsureReady();
            return (XFeatures)s_current.Xcr0;
        }
    }

    /// <summary>The MXCSR bits this CPU accepts (MXCSR_MASK from an FXSAVE, 0 meaning 0xFFBF: SDM vol. 1 §11.6.6).</summary>
    public static uint MxcsrMask
    {
        get
        {
            EnsureReady();
            return s_current.MxcsrMask;
        }
    }

    /// <summary>
    /// The slots of the saved components past the header (AVX onwards), each with its XSTATE_BV
    /// bit: the misaligned paths copy exactly these (never the whole page, never stale stack
    /// bytes), the restore only those XRSTOR will read.
    /// </summary>
    public static ReadOnlySpan<(int Component, int Start, int Length)> SavedSlots
    {
        get
        {
            EnsureReady();
            return s_savedSlots!;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ThrowIfXSaveUnavailable()
    {
        if (!IsXSaveEnabled)
        {
            ThrowXSaveUnavailable();
        }
    }

    /// <summary>FXSAVE/FXRSTOR need only x86-64, not XSAVE.</summary>
    public static void ThrowIfNotX64()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException(
                $"FXSAVE/FXRSTOR need an x86-64 process; this one is {RuntimeInformation.ProcessArchitecture}. Reading and writing the views works everywhere.");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowXSaveUnavailable() =>
        throw new PlatformNotSupportedException(RuntimeInformation.ProcessArchitecture != Architecture.X64
            ? $"XSAVE instructions need an x86-64 process; this one is {RuntimeInformation.ProcessArchitecture}. Reading and writing XSaveArea views works everywhere."
            : "XSAVE is not enabled on this processor (CPUID.1:ECX.OSXSAVE is 0).");

    /// <summary>
    /// Reads the CPU on the first call (throwing where XSAVE cannot run); after that, one load and
    /// compare — which is why the hot paths use it in place of <see cref="ThrowIfXSaveUnavailable"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EnsureReady()
    {
        if (System.Threading.Volatile.Read(ref s_state) != Ready)
        {
            ReadProcessor();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReadProcessor()
    {
        if (System.Threading.Volatile.Read(ref s_state) == Ready)
        {
            return;
        }

        ThrowIfXSaveUnavailable();
        var xcr0 = (XFeatures)Instructions.XGetBv(0);
        uint mxcsrMask = ReadMxcsrMask();
        s_savedSlots = Slots(xcr0 & XSaveArea.SafeFeatures, XSaveLayout.Current);
        s_current = Snapshot.Create(xcr0, mxcsrMask, XSaveLayout.Current);

        System.Threading.Volatile.Write(ref s_state, Ready);
    }

    private static (int Component, int Start, int Length)[] Slots(XFeatures saved, XSaveLayout? layout)
    {
        var slots = new System.Collections.Generic.List<(int Component, int Start, int Length)>();
        for (int i = 2; i < XSaveLayout.ComponentCount; i++)
        {
            if (((ulong)saved & (1UL << i)) != 0 && layout?.Slot(i) is { } slot && slot.End <= XSaveArea.Size)
            {
                slots.Add((i, slot.Offset, slot.Size));
            }
        }

        return slots.ToArray();
    }

    private static uint ReadMxcsrMask()
    {
        byte* buffer = stackalloc byte[LegacyRegion.Size + 16];
        LegacyRegion* region = (LegacyRegion*)(((nuint)buffer + 15) & ~(nuint)15);
        region->MxcsrMask = 0;
        Instructions.FxSave64(region);
        uint mask = (uint)region->MxcsrMask;
        return mask == 0 ? 0xFFBF : mask;
    }
}
