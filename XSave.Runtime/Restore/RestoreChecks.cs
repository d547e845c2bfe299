// The restore rules as pure functions of the raw fields: compiled into XSave.Runtime (where
// RestoreValidation words each one as a RestoreRule, and the CPU snapshot builds its masks from
// them) and emitted by the generator into every freestanding project (XSaveThunks' checks), one
// source for both forms. Primitives and pointers only: a minimal core library compiles it.
namespace XSave
{
    /// <summary>
    /// What XRSTOR and FXRSTOR fault on, and what a thread cannot run in after them (Intel SDM
    /// vol. 1 §10.5.1 and §13.8; docs/design.md), over the raw fields of an area.
    /// </summary>
    internal static unsafe class RestoreChecks
    {
        /// <summary>MXCSR's exception masks, bits 7–12: all set, no SSE exception traps.</summary>
        public const uint MxcsrExceptionMasks = 0x1F80;

        /// <summary>FCW's exception masks, bits 0–5: all set, no x87 exception traps.</summary>
        public const ushort FcwExceptionMasks = 0x3F;

        /// <summary>The MXCSR_MASK a CPU means when FXSAVE writes 0 (SDM vol. 1 §11.6.6).</summary>
        public const uint DefaultMxcsrMask = 0xFFBF;

        /// <summary>PKRU bits 0–1: access- and write-disable for key 0, the key of every page nobody gave another.</summary>
        public const uint KeyZeroBits = 3;

        /// <summary>XCOMP_BV bit 63: the area is in the compacted format.</summary>
        public const ulong CompactedFormat = 1UL << 63;

        /// <summary>Where the checked fields lie in an area (legacy region, then the XSAVE header at 512).</summary>
        public const int FcwOffset = 0, AbridgedFtwOffset = 4, MxcsrOffset = 24, XStateBvOffset = 512, XCompBvOffset = 520, HeaderReservedOffset = 528, HeaderEnd = 576;

        /// <summary>XRSTOR reads MXCSR whenever the mask requests SSE or AVX (bits 1–2; SDM vol. 1 §13.8.1).</summary>
        public const ulong MxcsrLoaders = 6;

        /// <summary>The CPU's MXCSR_MASK from what FXSAVE reported.</summary>
        public static uint MxcsrMaskOrDefault(uint reported) => reported == 0 ? DefaultMxcsrMask : reported;

        /// <summary>XSTATE_BV may only name components enabled in XCR0.</summary>
        public static bool XStateBvOutsideXcr0(ulong xstateBv, ulong xcr0) => (xstateBv & ~xcr0) != 0;

        /// <summary>In the standard format (bit 63 clear) XCOMP_BV must be zero.</summary>
        public static bool XCompBvInStandardFormat(ulong xcompBv) => xcompBv != 0 && (xcompBv & CompactedFormat) == 0;

        /// <summary>The compacted format needs XSAVEC.</summary>
        public static bool CompactedFormatUnsupported(ulong xcompBv, bool compactedSupported) => (xcompBv & CompactedFormat) != 0 && !compactedSupported;

        /// <summary>In the compacted format XCOMP_BV may only name components enabled in XCR0.</summary>
        public static bool XCompBvOutsideXcr0(ulong xcompBv, ulong xcr0) => (xcompBv & ~CompactedFormat & ~xcr0) != 0;

        /// <summary>In the compacted format every XSTATE_BV bit must also be set in XCOMP_BV.</summary>
        public static bool XStateBvOutsideXCompBv(ulong xstateBv, ulong xcompBv) => (xstateBv & ~xcompBv) != 0;

        /// <summary>A compacted area may only lay out the components that fit the page (the safe set): later slots would lie past it.</summary>
        public static bool XCompBvOutsidePage(ulong xcompBv, ulong inPage) => (xcompBv & ~CompactedFormat & ~inPage) != 0;

        /// <summary>Any XRSTOR header rule broken, in the order the runtime reports them.</summary>
        public static bool BreaksHeaderRule(ulong xstateBv, ulong xcompBv, ulong xcr0, bool compactedSupported, ulong inPage) =>
            XStateBvOutsideXcr0(xstateBv, xcr0) ||
            ((xcompBv & CompactedFormat) == 0
                ? XCompBvInStandardFormat(xcompBv)
                : CompactedFormatUnsupported(xcompBv, compactedSupported) || XCompBvOutsideXcr0(xcompBv, xcr0) ||
                  XStateBvOutsideXCompBv(xstateBv, xcompBv) || XCompBvOutsidePage(xcompBv, inPage));

        /// <summary>The first reserved header byte (area bytes 528–575) that is not zero, or -1.</summary>
        public static int FirstReservedHeaderByteSet(byte* area)
        {
            for (int offset = HeaderReservedOffset; offset < HeaderEnd; offset++)
            {
                if (area[offset] != 0)
                {
                    return offset;
                }
            }

            return -1;
        }

        /// <summary>MXCSR sets a bit outside MXCSR_MASK: the restore raises #GP.</summary>
        public static bool MxcsrReservedBits(uint mxcsr, uint mxcsrMask) => (mxcsr & ~mxcsrMask) != 0;

        /// <summary>MXCSR leaves an SSE exception unmasked: the next one traps.</summary>
        public static bool MxcsrExceptionUnmasked(uint mxcsr) => (mxcsr & MxcsrExceptionMasks) != MxcsrExceptionMasks;

        /// <summary>FCW leaves an x87 exception unmasked: the next one traps.</summary>
        public static bool X87ExceptionUnmasked(ushort fcw) => (fcw & FcwExceptionMasks) != FcwExceptionMasks;

        /// <summary>The abridged FTW marks x87 registers in use, where both x64 conventions want an empty stack.</summary>
        public static bool X87RegistersInUse(byte abridgedFtw) => abridgedFtw != 0;

        /// <summary>PKRU denies key 0: the thread's next memory access faults.</summary>
        public static bool PkruLocksKeyZero(uint pkru) => (pkru & KeyZeroBits) != 0;
    }
}
