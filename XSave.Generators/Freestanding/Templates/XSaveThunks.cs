// The freestanding form's XSaveThunks, the part that is the same for every project: emitted
// verbatim by the generator (an embedded resource) beside the project's own part (its machine
// code, Length, SafeFeatures, RunProbe), and compiled only there. Its restore checks are
// RestoreChecks, the runtime's own source, emitted beside it.
namespace XSave
{
    /// <summary>
    /// This assembly's freestanding thunks: their machine code, the CPU's answers the checks
    /// need (taken once by <see cref="Probe"/>), and the checks that turn every #GP and #UD the
    /// instructions could raise into an <see cref="XSaveStatus"/>.
    /// </summary>
    internal static unsafe partial class XSaveThunks
    {
        private static byte* s_base;
        private static CpuAnswers s_cpu;

        /// <summary>Where the thunks were mapped, or null before <see cref="Install"/>.</summary>
        public static byte* Base => s_base;

        /// <summary>XCR0 as last probed (0 while CR4.OSXSAVE is clear).</summary>
        public static ulong Xcr0 => s_cpu.Xcr0;

        /// <summary>The XCR0 bits this CPU offers (CPUID.(0DH,0):EDX:EAX).</summary>
        public static ulong SupportedXcr0 => s_cpu.SupportedXcr0;

        /// <summary>The privilege level the code runs at (CS bits 0-1): 0 in a kernel or UEFI.</summary>
        public static int PrivilegeLevel => (int)s_cpu.Cpl;

        /// <summary>The CPU has XSAVE (CPUID.1:ECX[26]).</summary>
        public static bool HasXSave => (s_cpu.Leaf1 & (1UL << 26)) != 0;

        // CPUID.(0DH,1).EAX: bit 0 XSAVEOPT, bit 1 XSAVEC, bit 2 XGETBV with ECX=1 (SDM vol. 1 §13.2).
        private static bool HasXSaveOpt => (s_cpu.LeafD1 & 1) != 0;

        private static bool HasXSaveC => (s_cpu.LeafD1 & 2) != 0;

        private static bool HasXGetBv1 => (s_cpu.LeafD1 & 4) != 0;

        /// <summary>CR4.OSXSAVE is set (CPUID.1:ECX[27] mirrors it).</summary>
        public static bool OsXSaveEnabled => (s_cpu.Leaf1 & (1UL << 27)) != 0;

        /// <summary>The CPU's MXCSR_MASK (RestoreChecks.DefaultMxcsrMask where FXSAVE reports 0).</summary>
        public static uint MxcsrMask => RestoreChecks.MxcsrMaskOrDefault((uint)s_cpu.MxcsrMask);

        /// <summary>
        /// Maps the thunks, once: <paramref name="allocate"/> returns writable memory for
        /// <see cref="Length"/> bytes (or null), the machine code for <paramref name="convention"/>
        /// is written into it, and <paramref name="protect"/> makes it executable and no longer
        /// writable (false refuses). Then the CPU is probed. Call it before any thunk, on one
        /// processor, before others can call thunks.
        /// </summary>
        public static XSaveStatus Install(XSaveCallingConvention convention, delegate*<nuint, byte*> allocate, delegate*<byte*, nuint, bool> protect)
        {
            if (s_base != null)
            {
                return XSaveStatus.Ok;
            }

            byte* code = allocate((nuint)Length);
            if (code == null)
            {
                return XSaveStatus.MapRefused;
            }

            if (convention == XSaveCallingConvention.Windows)
            {
                WriteWindows(code);
            }
            else
            {
                WriteSystemV(code);
            }

            if (!protect(code, (nuint)Length))
            {
                return XSaveStatus.MapRefused;
            }

            s_base = code;
            return Probe();
        }

        /// <summary>
        /// Asks the CPU again (CPUID, XGETBV, FXSAVE). The thunks that change XCR0 or CR4 call it;
        /// call it yourself after changing them by other means.
        /// </summary>
        public static XSaveStatus Probe()
        {
            if (s_base == null)
            {
                return XSaveStatus.NotInstalled;
            }

            fixed (CpuAnswers* answers = &s_cpu)
            {
                RunProbe(answers);
            }

            return XSaveStatus.Ok;
        }

        /// <summary>
        /// Zeroes the XSAVE header before a save: XSAVE writes only the requested bits of
        /// XSTATE_BV and neither XCOMP_BV nor bytes 16-63, so without this a fresh page's
        /// leftovers would make the saved area one XRSTOR refuses.
        /// </summary>
        public static void ClearHeader(byte* area)
        {
            for (int offset = RestoreChecks.XStateBvOffset; offset < RestoreChecks.HeaderEnd; offset += 8)
            {
                *(ulong*)(area + offset) = 0;
            }
        }

        /// <summary>Ok once <see cref="Install"/> has mapped the thunks.</summary>
        public static XSaveStatus Installed() => s_base == null ? XSaveStatus.NotInstalled : XSaveStatus.Ok;

        /// <summary>Whether the CPU provides what an instruction requires (its row's requirement, passed by the generated body) and CR4 lets it run.</summary>
        public static XSaveStatus CheckReady(XSaveRequirement requirement)
        {
            if (s_base == null)
            {
                return XSaveStatus.NotInstalled;
            }

            if (requirement == XSaveRequirement.X64)
            {
                return (s_cpu.Leaf1 & (1UL << 56)) != 0 ? XSaveStatus.Ok : XSaveStatus.NotSupported; // FXSR: CPUID.1:EDX[24]
            }

            if (!HasXSave)
            {
                return XSaveStatus.NotSupported;
            }

            if (requirement == XSaveRequirement.XSaveImplemented)
            {
                return XSaveStatus.Ok;
            }

            if (!OsXSaveEnabled)
            {
                return XSaveStatus.NotEnabled;
            }

            if ((requirement == XSaveRequirement.XSaveOpt && !HasXSaveOpt) || (requirement == XSaveRequirement.XSaveC && !HasXSaveC))
            {
                return XSaveStatus.NotSupported;
            }

            return XSaveStatus.Ok;
        }

        /// <summary>The checks before a save into an area of <paramref name="alignment"/> bytes.</summary>
        public static XSaveStatus CheckSave(XSaveRequirement requirement, byte* area, ulong alignment)
        {
            XSaveStatus status = CheckReady(requirement);
            return status != XSaveStatus.Ok ? status : Aligned(area, alignment);
        }

        /// <summary>The checks before XRSTOR: every #GP rule, and no state code could not live in.</summary>
        public static XSaveStatus CheckRestore(XSaveRequirement requirement, byte* area, ulong alignment, ulong mask)
        {
            XSaveStatus status = CheckSave(requirement, area, alignment);
            return status != XSaveStatus.Ok ? status : Restorable(area, mask & SafeFeatures);
        }

        /// <summary>The checks before a switch: both areas, and the restored one as for XRSTOR.</summary>
        public static XSaveStatus CheckSwitch(XSaveRequirement requirement, byte* save, byte* restore, ulong alignment, ulong mask)
        {
            XSaveStatus status = CheckSave(requirement, save, alignment);
            if (status == XSaveStatus.Ok)
            {
                status = Aligned(restore, alignment);
            }

            return status != XSaveStatus.Ok ? status : Restorable(restore, mask & SafeFeatures);
        }

        /// <summary>The checks before FXRSTOR.</summary>
        public static XSaveStatus CheckFxRestore(XSaveRequirement requirement, byte* region, ulong alignment)
        {
            XSaveStatus status = CheckSave(requirement, region, alignment);
            if (status != XSaveStatus.Ok)
            {
                return status;
            }

            // FXRSTOR loads the x87 state and MXCSR: the rules of those fields, walked as for XRSTOR.
            RestoreInputs inputs = default;
            LegacyFields(&inputs, region);
            inputs.XStateBv = inputs.Xcr0 = inputs.Restored = RestoreChecks.X87Bit | RestoreChecks.MxcsrLoaders;
            int position = RestoreChecks.FirstBroken(&inputs);
            return position < 0 ? XSaveStatus.Ok : (XSaveStatus)RestoreChecks.Row(position).Status;
        }

        /// <summary>XGETBV reads XCR0, and XCR1 where CPUID.(0DH,1):EAX[2] says so.</summary>
        public static XSaveStatus CheckXGetBv(XSaveRequirement requirement, uint register)
        {
            XSaveStatus status = CheckReady(requirement);
            if (status != XSaveStatus.Ok)
            {
                return status;
            }

            return register == 0 || (register == 1 && HasXGetBv1) ? XSaveStatus.Ok : XSaveStatus.InvalidRegister;
        }

        /// <summary>The values XSETBV accepts for XCR0 (SDM, XSETBV: each one below raises #GP).</summary>
        public static XSaveStatus CheckXSetBv(XSaveRequirement requirement, uint register, ulong value)
        {
            XSaveStatus status = CheckReady(requirement);
            if (status != XSaveStatus.Ok)
            {
                return status;
            }

            if (register != 0)
            {
                return XSaveStatus.InvalidRegister;
            }

            ulong avx512 = (value >> 5) & 7;
            bool invalid =
                (value & 1) == 0 ||                                       // x87 must stay on
                (value & ~s_cpu.SupportedXcr0) != 0 ||                        // only what CPUID offers
                ((value & 4) != 0 && (value & 2) == 0) ||                 // AVX needs SSE
                (avx512 != 0 && (avx512 != 7 || (value & 4) == 0)) ||     // AVX-512: all three, with AVX
                ((value >> 3) & 1) != ((value >> 4) & 1) ||               // MPX: both or neither
                ((value >> 17) & 1) != ((value >> 18) & 1);               // AMX: both or neither
            return invalid ? XSaveStatus.InvalidXcr0 : XSaveStatus.Ok;
        }

        private static XSaveStatus Aligned(byte* area, ulong alignment)
        {
            if (area == null)
            {
                return XSaveStatus.NullArea;
            }

            return ((ulong)area & (alignment - 1)) == 0 ? XSaveStatus.Ok : XSaveStatus.MisalignedArea;
        }

        // XRSTOR's #GP rules on the header, then what the restore would load: RestoreChecks, the
        // runtime's own rules.
        // The runtime's rules, walked in the runtime's order (RestoreChecks' rows); the first broken
        // one returns its row's status. The layout descriptor is the runtime's concern: not checked here.
        private static XSaveStatus Restorable(byte* area, ulong mask)
        {
            RestoreInputs inputs = default;
            LegacyFields(&inputs, area);
            inputs.XStateBv = *(ulong*)(area + RestoreChecks.XStateBvOffset);
            inputs.XCompBv = *(ulong*)(area + RestoreChecks.XCompBvOffset);
            inputs.Xcr0 = s_cpu.Xcr0;
            inputs.CompactedSupported = HasXSaveC;
            inputs.Restored = mask & s_cpu.Xcr0;
            inputs.ReservedByteSet = RestoreChecks.FirstReservedHeaderByteSet(area);
            if (inputs.LoadsPkru)
            {
                ulong offset = inputs.IsCompacted ? (ulong)RestoreChecks.CompactedOffset(inputs.XCompBv, PkruBit, s_cpu.Aligned, &ComponentSize) : s_cpu.Component9 >> 32;
                inputs.PkruFound = offset != 0 && offset <= 4092; // its 4 bytes inside the 4096-byte page
                inputs.Pkru = inputs.PkruFound ? *(uint*)(area + offset) : 0;
            }

            int position = RestoreChecks.FirstBroken(&inputs);
            if (position < 0)
            {
                return XSaveStatus.Ok;
            }

            RestoreRuleRow row = RestoreChecks.Row(position);
            // A PKRU no layout places inside the page is a header this form cannot judge.
            return row.Rule == RestoreChecks.PkruLocksKeyZeroRule && !inputs.PkruFound ? XSaveStatus.InvalidHeader : (XSaveStatus)row.Status;
        }

        // The legacy fields the rules read, in a header that loads nothing yet. Filled in place:
        // copying the struct would need a memory-copy helper a minimal core library lacks.
        private static void LegacyFields(RestoreInputs* inputs, byte* area)
        {
            inputs->InPage = SafeFeatures;
            inputs->ReservedByteSet = -1;
            inputs->LayoutMismatch = -1;
            inputs->Mxcsr = *(uint*)(area + RestoreChecks.MxcsrOffset);
            inputs->MxcsrMask = MxcsrMask;
            inputs->Fcw = *(ushort*)(area + RestoreChecks.FcwOffset);
            inputs->AbridgedFtw = area[RestoreChecks.AbridgedFtwOffset];
            inputs->Allowed = 0; // this form waives no hazard
        }

        // A component's size, as CPUID.(0DH,i):EAX reports it: what the compacted offsets add up.
        private static int ComponentSize(int i) => (int)(Component(i) & 0xFFFFFFFFUL);

        private static ulong Component(int i) => i switch
        {
            2 => s_cpu.Component2,
            3 => s_cpu.Component3,
            4 => s_cpu.Component4,
            5 => s_cpu.Component5,
            6 => s_cpu.Component6,
            7 => s_cpu.Component7,
            8 => s_cpu.Component8,
            _ => s_cpu.Component9,
        };

        // What the probe's machine code writes, in its order: it clears all of it first.
        private struct CpuAnswers
        {
            public ulong Leaf1;          // CPUID.1: ECX, EDX << 32
            public ulong SupportedXcr0;  // CPUID.(0DH,0): EDX:EAX
            public ulong LeafD1;         // CPUID.(0DH,1): EAX
            public ulong Xcr0;           // XGETBV(0), once CR4.OSXSAVE is set
            public ulong MxcsrMask;      // FXSAVE bytes 28-31
            public ulong Cpl;            // CS bits 0-1
            public ulong Component2, Component3, Component4, Component5, Component6, Component7, Component8, Component9; // CPUID.(0DH,i): EAX size, EBX offset << 32
            public ulong Aligned;        // bit i: CPUID.(0DH,i):ECX[1], 64-byte aligned when compacted
            public ulong Unused;
        }
    }
}
