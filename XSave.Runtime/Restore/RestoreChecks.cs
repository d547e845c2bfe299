// The restore rules, one row each, in the order both forms check them: compiled into XSave.Runtime
// (where RestoreValidation words each broken rule as a RestoreRule, and the CPU snapshot builds its
// masks from the constants) and into the generator (whose freestanding statuses come from the
// rows), and emitted by the generator into every freestanding project (XSaveThunks' checks), one
// source for both forms. Primitives, pointers and function pointers only: a minimal core library
// compiles it. Adding a rule: its number and row here, its member in RestoreRule, its words in
// RestoreValidation's switch (the build fails until it has them), its tests.
#if XSAVE_GENERATOR
namespace XSave.Generators.Shared
#else
namespace XSave
#endif
{
    /// <summary>
    /// What the rules read of an area, of the CPU and of the restore, gathered before the walk.
    /// </summary>
    internal struct RestoreInputs
    {
        /// <summary>The header's XSTATE_BV and XCOMP_BV.</summary>
        public ulong XStateBv, XCompBv;

        /// <summary>The CPU's XCR0, and the components whose slots fit the page (the safe set).</summary>
        public ulong Xcr0, InPage;

        /// <summary>Whether the CPU has XSAVEC (and so restores the compacted format).</summary>
        public bool CompactedSupported;

        /// <summary>The restore's mask within XCR0: what XRSTOR loads or initialises.</summary>
        public ulong Restored;

        /// <summary>The area offset of the first reserved header byte (528–575) that is not zero, or -1.</summary>
        public int ReservedByteSet;

        /// <summary>The first restored component the area's recorded layout places elsewhere than this CPU does, or -1 (the runtime form only).</summary>
        public int LayoutMismatch;

        /// <summary>MXCSR as loaded, and the CPU's MXCSR_MASK.</summary>
        public uint Mxcsr, MxcsrMask;

        /// <summary>FCW as loaded.</summary>
        public ushort Fcw;

        /// <summary>The abridged FTW (one bit per x87 register in use).</summary>
        public byte AbridgedFtw;

        /// <summary>Whether PKRU's slot was found, and its value there.</summary>
        public bool PkruFound;

        /// <summary>PKRU as loaded.</summary>
        public uint Pkru;

        /// <summary>The hazards the caller accepts (<c>RestoreHazards</c> bits; 0 in the freestanding form).</summary>
        public uint Allowed;

        public readonly bool IsCompacted => (XCompBv & RestoreChecks.CompactedFormat) != 0;

        /// <summary>XRSTOR reads MXCSR whenever the mask requests SSE or AVX (SDM vol. 1 §13.8.1).</summary>
        public readonly bool LoadsMxcsr => (Restored & RestoreChecks.MxcsrLoaders) != 0;

        /// <summary>The x87 state is loaded (not initialised) only where XSTATE_BV marks it.</summary>
        public readonly bool LoadsX87 => (XStateBv & Restored & RestoreChecks.X87Bit) != 0;

        /// <summary>PKRU likewise.</summary>
        public readonly bool LoadsPkru => (XStateBv & Restored & RestoreChecks.PkruBit) != 0;
    }

    /// <summary>One rule: its number (<c>RestoreRule</c>'s), whether the inputs break it, the hazard that waives it, the freestanding form's status.</summary>
    internal readonly unsafe struct RestoreRuleRow
    {
        public readonly int Rule;
        public readonly delegate*<RestoreInputs*, bool> Breaks;
        public readonly uint Waiver;
        public readonly int Status;

        public RestoreRuleRow(int rule, delegate*<RestoreInputs*, bool> breaks, uint waiver, int status)
        {
            Rule = rule;
            Breaks = breaks;
            Waiver = waiver;
            Status = status;
        }
    }

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

        /// <summary>The x87 and PKRU components' bits.</summary>
        public const ulong X87Bit = 1, PkruBit = 1UL << 9;

        /// <summary>The rules' numbers: <c>RestoreRule</c>'s values.</summary>
        public const int XStateBvOutsideXcr0Rule = 0, XCompBvInStandardFormatRule = 1, CompactedFormatUnsupportedRule = 2, XCompBvOutsideXcr0Rule = 3,
            XStateBvOutsideXCompBvRule = 4, XCompBvOutsidePageRule = 5, HeaderReservedBytesRule = 6, MxcsrReservedBitsRule = 7, LayoutMismatchRule = 8,
            MxcsrExceptionUnmaskedRule = 9, X87ExceptionUnmaskedRule = 10, PkruLocksKeyZeroRule = 11, X87RegistersInUseRule = 12;

        /// <summary>The hazards that waive rules: <c>RestoreHazards</c>' values.</summary>
        public const uint UnmaskedSseExceptionsWaiver = 1, UnmaskedX87ExceptionsWaiver = 2, KeyZeroLockedWaiver = 4, X87RegistersInUseWaiver = 8;

        /// <summary>The freestanding form's statuses for broken rules: <c>XSaveStatus</c>' values.</summary>
        public const int InvalidHeaderStatus = 8, InvalidMxcsrStatus = 9, UnmaskedExceptionsStatus = 10, KeyZeroLockedStatus = 11, X87RegistersInUseStatus = 14;

        /// <summary>How many rules there are.</summary>
        public const int RuleCount = 13;

        /// <summary>The rule checked <paramref name="position"/>th: the table, in checking order (a switch, not an array: a minimal core library has none).</summary>
        public static RestoreRuleRow Row(int position) => position switch
        {
            0 => new(XStateBvOutsideXcr0Rule, &XStateBvOutsideXcr0, 0, InvalidHeaderStatus),
            1 => new(XCompBvInStandardFormatRule, &XCompBvInStandardFormat, 0, InvalidHeaderStatus),
            2 => new(CompactedFormatUnsupportedRule, &CompactedFormatUnsupported, 0, InvalidHeaderStatus),
            3 => new(XCompBvOutsideXcr0Rule, &XCompBvOutsideXcr0, 0, InvalidHeaderStatus),
            4 => new(XStateBvOutsideXCompBvRule, &XStateBvOutsideXCompBv, 0, InvalidHeaderStatus),
            5 => new(XCompBvOutsidePageRule, &XCompBvOutsidePage, 0, InvalidHeaderStatus),
            6 => new(HeaderReservedBytesRule, &HeaderReservedBytes, 0, InvalidHeaderStatus),
            7 => new(LayoutMismatchRule, &LayoutMismatch, 0, InvalidHeaderStatus),
            8 => new(MxcsrReservedBitsRule, &MxcsrReservedBits, 0, InvalidMxcsrStatus),
            9 => new(MxcsrExceptionUnmaskedRule, &MxcsrExceptionUnmasked, UnmaskedSseExceptionsWaiver, UnmaskedExceptionsStatus),
            10 => new(X87ExceptionUnmaskedRule, &X87ExceptionUnmasked, UnmaskedX87ExceptionsWaiver, UnmaskedExceptionsStatus),
            11 => new(X87RegistersInUseRule, &X87RegistersInUse, X87RegistersInUseWaiver, X87RegistersInUseStatus),
            _ => new(PkruLocksKeyZeroRule, &PkruLocksKeyZero, KeyZeroLockedWaiver, KeyZeroLockedStatus),
        };

        /// <summary>
        /// The first row whose rule the inputs break and the caller does not waive, or -1: what both
        /// forms walk. By pointer: a copy of the inputs would need a memory-copy helper that a
        /// minimal core library lacks.
        /// </summary>
        public static int FirstBroken(RestoreInputs* inputs)
        {
            for (int position = 0; position < RuleCount; position++)
            {
                RestoreRuleRow row = Row(position);
                if ((row.Waiver & inputs->Allowed) == 0 && row.Breaks(inputs))
                {
                    return position;
                }
            }

            return -1;
        }

        /// <summary>The CPU's MXCSR_MASK from what FXSAVE reported.</summary>
        public static uint MxcsrMaskOrDefault(uint reported) => reported == 0 ? DefaultMxcsrMask : reported;

        /// <summary>XSTATE_BV may only name components enabled in XCR0.</summary>
        private static bool XStateBvOutsideXcr0(RestoreInputs* x) => (x->XStateBv & ~x->Xcr0) != 0;

        /// <summary>In the standard format (bit 63 clear) XCOMP_BV must be zero.</summary>
        private static bool XCompBvInStandardFormat(RestoreInputs* x) => !x->IsCompacted && x->XCompBv != 0;

        /// <summary>The compacted format needs XSAVEC.</summary>
        private static bool CompactedFormatUnsupported(RestoreInputs* x) => x->IsCompacted && !x->CompactedSupported;

        /// <summary>In the compacted format XCOMP_BV may only name components enabled in XCR0.</summary>
        private static bool XCompBvOutsideXcr0(RestoreInputs* x) => x->IsCompacted && (x->XCompBv & ~CompactedFormat & ~x->Xcr0) != 0;

        /// <summary>In the compacted format every XSTATE_BV bit must also be set in XCOMP_BV.</summary>
        private static bool XStateBvOutsideXCompBv(RestoreInputs* x) => x->IsCompacted && (x->XStateBv & ~x->XCompBv) != 0;

        /// <summary>A compacted area may only lay out the components that fit the page (the safe set): later slots would lie past it.</summary>
        private static bool XCompBvOutsidePage(RestoreInputs* x) => x->IsCompacted && (x->XCompBv & ~CompactedFormat & ~x->InPage) != 0;

        /// <summary>Header bytes 16–63 are reserved.</summary>
        private static bool HeaderReservedBytes(RestoreInputs* x) => x->ReservedByteSet >= 0;

        /// <summary>A restored component recorded elsewhere than this CPU puts it.</summary>
        private static bool LayoutMismatch(RestoreInputs* x) => x->LayoutMismatch >= 0;

        /// <summary>MXCSR sets a bit outside MXCSR_MASK: the restore raises #GP.</summary>
        private static bool MxcsrReservedBits(RestoreInputs* x) => x->LoadsMxcsr && (x->Mxcsr & ~x->MxcsrMask) != 0;

        /// <summary>MXCSR leaves an SSE exception unmasked: the next one traps.</summary>
        private static bool MxcsrExceptionUnmasked(RestoreInputs* x) => x->LoadsMxcsr && (x->Mxcsr & MxcsrExceptionMasks) != MxcsrExceptionMasks;

        /// <summary>FCW leaves an x87 exception unmasked: the next one traps.</summary>
        private static bool X87ExceptionUnmasked(RestoreInputs* x) => x->LoadsX87 && (x->Fcw & FcwExceptionMasks) != FcwExceptionMasks;

        /// <summary>The abridged FTW marks x87 registers in use, where both x64 conventions want an empty stack.</summary>
        private static bool X87RegistersInUse(RestoreInputs* x) => x->LoadsX87 && x->AbridgedFtw != 0;

        /// <summary>PKRU denies key 0 (the thread's next memory access faults), or cannot be found to be checked.</summary>
        private static bool PkruLocksKeyZero(RestoreInputs* x) => x->LoadsPkru && (!x->PkruFound || (x->Pkru & KeyZeroBits) != 0);

        /// <summary>
        /// Where a compacted area puts <paramref name="component"/> (SDM vol. 1 §13.4.3): from byte
        /// 576, each component XCOMP_BV lays out in bit order, on a 64-byte boundary where
        /// <paramref name="aligned64"/> has its bit, <paramref name="size"/> bytes long; 0 where
        /// XCOMP_BV does not lay it out. The one algorithm of both forms: the runtime sizes
        /// components from its component table, the freestanding form from CPUID.
        /// </summary>
        public static int CompactedOffset(ulong xcompBv, int component, ulong aligned64, delegate*<int, int> size)
        {
            int offset = HeaderEnd;
            for (int i = 2; i <= component; i++)
            {
                if ((xcompBv & (1UL << i)) == 0)
                {
                    continue;
                }

                if ((aligned64 & (1UL << i)) != 0)
                {
                    offset = (offset + 63) & ~63;
                }

                if (i == component)
                {
                    return offset;
                }

                offset += size(i);
            }

            return 0;
        }

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
    }
}
