using System.Globalization;
using System.IO;
using Iced.Intel;
using XSave.Generators.Freestanding;
using static Iced.Intel.AssemblerRegisters;

namespace XSave.Generators;

public sealed partial class XSaveThunkGenerator
{
    /// <summary>Stage 2: a model becomes machine code, assembled with Iced for both x64 calling conventions.</summary>
    internal static class CodeAssembler
    {
        /// <summary>
        /// The runtime's safe set (XSaveArea.SafeFeatures, compiled in from its source): every mask
        /// the generated code hands to XSAVE/XRSTOR is intersected with it, so no save leaves the
        /// page. It fits in EAX, so EDX is always 0 (the division below fails to compile otherwise).
        /// </summary>
        public const uint SafeFeatureMask = (uint)SafeFeatureSet.Value / ((ulong)SafeFeatureSet.Value >> 32 == 0 ? 1u : 0u);

        public static AssembledThunk Run(ThunkModel thunk)
        {
            byte[] systemV = Encode(thunk, systemV: true);
            byte[] windows = Encode(thunk, systemV: false);
            return new AssembledThunk(
                thunk,
                new EquatableArray<byte>(systemV),
                new EquatableArray<byte>(windows),
                Disassemble(systemV),
                Disassemble(windows));
        }

        private static byte[] Encode(ThunkModel thunk, bool systemV)
        {
            // First integer argument: RDI (System V) or RCX (Windows); second: RSI or RDX.
            AssemblerRegister64 area = systemV ? rdi : rcx;
            AssemblerRegister32 second = systemV ? esi : edx;
            var c = new Assembler(64);
            switch (thunk.Instruction)
            {
                case XSaveInstruction.XGetBv:
                    if (systemV)
                    {
                        c.mov(ecx, edi);
                    }

                    c.xgetbv();
                    c.shl(rdx, 32);
                    c.or(rax, rdx);
                    break;
                case XSaveInstruction.StMxcsr or XSaveInstruction.LdMxcsr or XSaveInstruction.FnStCw or XSaveInstruction.FldCw:
                    ControlWordMove(c, thunk.Instruction, systemV);
                    break;
                case XSaveInstruction.FxSave:
                    c.fxsave64(__[area]);
                    break;
                case XSaveInstruction.FxRstor:
                    KeepingWindowsXmm(c, systemV, () => c.fxrstor64(__[area]));
                    break;
                case XSaveInstruction.XSaveXRstor or XSaveInstruction.XSaveCXRstor or XSaveInstruction.XSaveOptXRstor:
                    // Save into the first area, restore from the second, one mask for both. On
                    // Windows the second area arrives in RDX, which the mask needs: move it first.
                    AssemblerRegister64 restore = systemV ? rsi : r9;
                    if (!systemV)
                    {
                        c.mov(r9, rdx);
                    }

                    Mask(c, thunk, systemV ? edx : r8d);
                    KeepingWindowsXmm(c, systemV, () =>
                    {
                        if (thunk.Instruction == XSaveInstruction.XSaveCXRstor)
                        {
                            c.xsavec64(__[area]);
                        }
                        else if (thunk.Instruction == XSaveInstruction.XSaveOptXRstor)
                        {
                            c.xsaveopt64(__[area]);
                        }
                        else
                        {
                            c.xsave64(__[area]);
                        }

                        c.xrstor64(__[restore]);
                    });
                    break;
                case XSaveInstruction.CopyRuns or XSaveInstruction.CopyRunsAvx:
                    CopyRuns(c, systemV, avx: thunk.Instruction == XSaveInstruction.CopyRunsAvx);
                    return Finish(c);
                case XSaveInstruction.SaveBounced or XSaveInstruction.SaveBouncedAvx:
                    SaveBounced(c, systemV, avx: thunk.Instruction == XSaveInstruction.SaveBouncedAvx);
                    return Finish(c);
                case XSaveInstruction.CheckedRestore or XSaveInstruction.CheckedRestoreAvx:
                    CheckedRestore(c, systemV, avx: thunk.Instruction == XSaveInstruction.CheckedRestoreAvx);
                    return Finish(c);
                case XSaveInstruction.PreparedSave:
                    PreparedSave(c, systemV);
                    return Finish(c);
                case XSaveInstruction.XSetBv:
                    // XCR number in ECX, value in EDX:EAX.
                    Privileged(c, () =>
                    {
                        if (systemV)
                        {
                            c.mov(ecx, edi);
                            c.mov(rdx, rsi);
                        }

                        c.mov(rax, rdx);
                        c.shr(rdx, 32);
                        c.xsetbv();
                    });
                    return Finish(c);
                case XSaveInstruction.ReadCr4:
                    Privileged(c, () =>
                    {
                        c.mov(rax, cr4);
                        c.mov(__[area], rax);
                    });
                    return Finish(c);
                case XSaveInstruction.EnableOsXSave:
                    Privileged(c, () =>
                    {
                        c.mov(rax, cr4);
                        c.bts(rax, OsXSaveBit);
                        c.mov(cr4, rax);
                    });
                    return Finish(c);
                default:
                    Mask(c, thunk, second);
                    switch (thunk.Instruction)
                    {
                        case XSaveInstruction.XSave: c.xsave64(__[area]); break;
                        case XSaveInstruction.XSaveOpt: c.xsaveopt64(__[area]); break;
                        case XSaveInstruction.XSaveC: c.xsavec64(__[area]); break;
                        default: KeepingWindowsXmm(c, systemV, () => c.xrstor64(__[area])); break;
                    }

                    break;
            }

            c.ret();
            return Finish(c);
        }

        /// <summary>
        /// The control-word instructions move memory only, so the word goes through a stack slot
        /// the convention gives a leaf function: System V's red zone below RSP, Windows' home
        /// space the caller reserved above the return address (Windows has no red zone). A read
        /// returns the word in EAX; a write takes it in the first argument register.
        /// </summary>
        private static void ControlWordMove(Assembler c, XSaveInstruction instruction, bool systemV)
        {
            AssemblerMemoryOperand slot = systemV ? __[rsp - 8] : __[rsp + 8];
            switch (instruction)
            {
                case XSaveInstruction.StMxcsr:
                    c.stmxcsr(__dword_ptr[slot]);
                    c.mov(eax, __dword_ptr[slot]);
                    break;
                case XSaveInstruction.LdMxcsr:
                    c.mov(__dword_ptr[slot], systemV ? edi : ecx);
                    c.ldmxcsr(__dword_ptr[slot]);
                    break;
                case XSaveInstruction.FnStCw:
                    c.fnstcw(__word_ptr[slot]);
                    c.movzx(eax, __word_ptr[slot]);
                    break;
                default:
                    c.mov(__word_ptr[slot], systemV ? di : cx);
                    c.fldcw(__word_ptr[slot]);
                    break;
            }
        }

        /// <summary>
        /// The runtime's private copies: walks a table of 8-byte runs (offset: ushort, length:
        /// ushort, component: byte, 0xFF for always, zero: byte, 2 reserved; ended by length 0),
        /// copying each run whose component bit is set in the fourth argument from the first area
        /// to the second, or zeroing it there. Vector moves while a whole vector is left, then
        /// 8-byte and 1-byte ones: never a byte outside a run. The vector is XMM0 (legacy SSE) or
        /// YMM0 (VEX, then VZEROUPPER): no register of a component the caller may have in its init
        /// state besides SSE's, whatever the C library's copy would have used.
        /// Scratch: RAX, R10 (offset), R11 (bytes left), XMM0/YMM0 and XMM1/YMM1 (zero): volatile in both conventions.
        /// </summary>
        private static void CopyRuns(Assembler c, bool systemV, bool avx)
        {
            AssemblerRegister64 from = systemV ? rdi : rcx, to = systemV ? rsi : rdx, runs = systemV ? rdx : r8, components = systemV ? rcx : r9;
            Zero(c, xmm1, avx);
            // The legacy region, the descriptor and the header, which every copy takes, and AVX at
            // its architectural place: straight-line moves, no branch to mispredict.
            StraightCopy(c, from, to, 0, AreaOffsets.Components, avx);
            CopyIfSet(c, components, AvxBit, from, to, AreaOffsets.Components, AreaOffsets.Components + AreaOffsets.AvxSize, avx);
            WalkRunsAndReturn(c, from, to, runs, components, avx);
        }

        // The last part of the copy routines: the walk, then VZEROUPPER in the VEX form (the
        // caller's upper halves are volatile, and AVX's state goes back to its init state).
        private static void WalkRunsAndReturn(Assembler c, AssemblerRegister64 from, AssemblerRegister64 to, AssemblerRegister64 runs, AssemblerRegister64 components, bool avx)
        {
            Label done = c.CreateLabel();
            WalkRuns(c, from, to, runs, components, avx, done);
            c.Label(ref done);
            if (avx)
            {
                c.vzeroupper();
            }

            c.ret();
        }

        /// <summary>
        /// The runtime's misaligned save (XSaveArea.Save of an area XSAVE cannot take): XSAVE64
        /// into the aligned scratch with no store in front of it, then into the area: the legacy
        /// region, with zeros over the bytes of it XSAVE need not write (byte 5 and the 6 bytes
        /// above each 80-bit ST register through the plan's masks; 416–463), the plan's layout
        /// descriptor, the header (the XSTATE_BV XSAVE wrote, kept to the saved components;
        /// XCOMP_BV and the reserved bytes zero), AVX's slot, PKRU's, and the plan's other saved
        /// slots with zeros past their registers. No stale byte of the scratch reaches the area;
        /// bytes in no saved slot stay the caller's, as XSAVE in place leaves them.
        /// Scratch: RAX, RDX, R10, R11, the fourth argument register, YMM0 and YMM1 (XMM in the SSE form).
        /// </summary>
        private static void SaveBounced(Assembler c, bool systemV, bool avx)
        {
            // After XSAVE: the scratch and the plan in registers the mask (EDX:EAX) did not take;
            // the run table's address last, over the plan's register on Windows.
            AssemblerRegister64 area = systemV ? rdi : rcx, scratch = systemV ? rsi : rdx, plan = r8, components = systemV ? rcx : r9, runs = systemV ? rdx : r8;
            var lanes = new Lanes(c, avx);
            if (systemV)
            {
                c.mov(plan, rdx);
            }
            else
            {
                c.mov(r11, scratch);
            }

            c.mov(eax, SafeFeatureMask);
            c.xor(edx, edx);
            c.xsave64(__[systemV ? scratch : r11]);
            if (!systemV)
            {
                c.mov(scratch, r11);
            }

            // The control lanes and the ST registers through the plan's masks, which zero the
            // reserved bytes among them (XSAVE need not write those): one AND a vector, no extra store.
            for (int offset = 0; offset < AreaOffsets.Xmm; offset += avx ? 32 : 16)
            {
                int mask = offset < AreaOffsets.Registers ? RestorePlanOffsets.LegacyKeep + offset : RestorePlanOffsets.StKeep;
                lanes.Load(xmm0, __[scratch + offset], avx);
                lanes.And(xmm0, __[plan + mask], avx);
                lanes.StoreUnaligned(__[area + offset], xmm0, avx);
            }

            StraightCopy(c, scratch, area, AreaOffsets.Xmm, AreaOffsets.Reserved, avx);

            Zero(c, xmm1, avx);
            for (int offset = AreaOffsets.Reserved; offset < AreaOffsets.Descriptor; offset += 16)
            {
                lanes.StoreUnaligned(__[area + offset], xmm1);
            }

            for (int offset = 0; offset < AreaOffsets.Header - AreaOffsets.Descriptor; offset += 16)
            {
                lanes.Load(xmm0, __[plan + RestorePlanOffsets.TailExpected + offset]);
                lanes.StoreUnaligned(__[area + AreaOffsets.Descriptor + offset], xmm0);
            }

            c.mov(components, __qword_ptr[plan + RestorePlanOffsets.SavedFeatures]);
            c.mov(rax, __qword_ptr[scratch + AreaOffsets.Header]);
            c.and(rax, components); // XSAVE leaves the bits of components it does not save as they were
            lanes.FromGeneral(xmm0, rax); // XSTATE_BV, and a zero XCOMP_BV beside it
            for (int offset = AreaOffsets.Header; offset < AreaOffsets.Components; offset += 16)
            {
                lanes.StoreUnaligned(__[area + offset], offset == AreaOffsets.Header ? xmm0 : xmm1);
            }

            CopyIfSet(c, components, AvxBit, scratch, area, AreaOffsets.Components, AreaOffsets.Components + AreaOffsets.AvxSize, avx);
            // PKRU's 8-byte slot where the plan names it: its 4 register bytes, then 4 zeros.
            Label noPkru = c.CreateLabel();
            c.mov(r10, __qword_ptr[plan + RestorePlanOffsets.PkruSlot]);
            c.test(r10, r10);
            c.jz(noPkru);
            c.mov(eax, __dword_ptr[scratch + r10]);
            c.mov(__qword_ptr[area + r10], rax);
            c.Label(ref noPkru);
            c.mov(runs, __qword_ptr[plan + RestorePlanOffsets.BounceRuns]);
            WalkRunsAndReturn(c, scratch, area, runs, components, avx);
        }

        /// <summary>
        /// The runtime's aligned save (XSaveArea.Save): XSAVE64 of the safe set, after making bytes
        /// 464–575 what an aligned save leaves there — the plan's layout descriptor, no XSTATE_BV bit
        /// outside what XSAVE writes, XCOMP_BV and the reserved header bytes zero. Checked first and
        /// written only where they differ: an area this CPU saved before already holds them, and
        /// stores in front of XSAVE cost more than loads. General-purpose registers only, so the
        /// check neither changes a vector register XSAVE is about to record nor mixes SSE and AVX
        /// encodings. Scratch: RAX, RDX, R8 (Windows), R9, R10, R11.
        /// </summary>
        private static void PreparedSave(Assembler c, bool systemV)
        {
            AssemblerRegister64 area = systemV ? rdi : rcx, plan = systemV ? rsi : r8;
            if (!systemV)
            {
                c.mov(plan, rdx); // EDX:EAX takes the mask
            }

            // Differences ORed into four registers, then as a tree: XSAVE waits on the branch.
            AssemblerRegister64[] sums = [rax, rdx, r10, r11];
            for (int offset = 0; offset < AreaOffsets.Header - AreaOffsets.Descriptor; offset += 8)
            {
                AssemblerRegister64 sum = offset < 32 ? sums[offset / 8] : r9;
                c.mov(sum, __qword_ptr[area + AreaOffsets.Descriptor + offset]);
                c.xor(sum, __qword_ptr[plan + RestorePlanOffsets.TailExpected + offset]);
                if (sum == r9)
                {
                    c.or(sums[(offset / 8) % 4], r9);
                }
            }

            // XSTATE_BV: a bit outside the saved set survives OR-then-XOR with it.
            c.mov(r9, __qword_ptr[area + AreaOffsets.Header]);
            c.or(r9, __qword_ptr[plan + RestorePlanOffsets.SavedFeatures]);
            c.xor(r9, __qword_ptr[plan + RestorePlanOffsets.SavedFeatures]);
            c.or(r10, r9);
            for (int offset = 8; offset < AreaOffsets.Components - AreaOffsets.Header; offset += 8)
            {
                c.or(sums[(offset / 8) % 4], __qword_ptr[area + AreaOffsets.Header + offset]);
            }

            c.or(rax, rdx);
            c.or(r10, r11);
            c.or(rax, r10);
            Label rewrite = c.CreateLabel(), save = c.CreateLabel();
            c.jnz(rewrite);
            c.Label(ref save);
            c.mov(eax, SafeFeatureMask);
            c.xor(edx, edx);
            c.xsave64(__[area]);
            c.ret();

            c.Label(ref rewrite);
            for (int offset = 0; offset < AreaOffsets.Header - AreaOffsets.Descriptor; offset += 8)
            {
                c.mov(rax, __qword_ptr[plan + RestorePlanOffsets.TailExpected + offset]);
                c.mov(__qword_ptr[area + AreaOffsets.Descriptor + offset], rax);
            }

            // XSAVE writes XSTATE_BV's bit for every component it saves and leaves the others as they were.
            c.xor(eax, eax);
            for (int offset = 0; offset < AreaOffsets.Components - AreaOffsets.Header; offset += 8)
            {
                c.mov(__qword_ptr[area + AreaOffsets.Header + offset], rax);
            }

            c.jmp(save);
        }

        /// <summary>
        /// The runtime's checked restore (XSaveArea.Load): the bytes the checks read — FCW to
        /// MXCSR_MASK, the layout descriptor and the header, PKRU's lane — are each loaded once from
        /// the caller's area into a register, stored into the scratch and checked in the register
        /// against the RestorePlan: another thread writing the area meanwhile cannot make the
        /// scratch differ from what was checked. The x87 registers and the other slots XSTATE_BV
        /// marks are copied as they are; the XMM registers and AVX's upper halves are loaded
        /// straight from the area. Passing, XRSTOR64 loads the rest from the scratch and RAX is 0;
        /// else RAX is the area, nothing was loaded, and the caller's validator decides and explains
        /// (returned, so the caller keeps no register of its own across the call for it). The
        /// checks are RestoreFastPath's, stricter than the rules: what passes them, the rules accept.
        /// Scratch: RAX, R10, R11, the fourth argument register, YMM0–YMM15 (XMM in the SSE form).
        /// </summary>
        private static void CheckedRestore(Assembler c, bool systemV, bool avx)
        {
            AssemblerRegister64 area = systemV ? rdi : rcx, scratch = systemV ? rsi : rdx, plan = systemV ? rdx : r8, components = systemV ? rcx : r9;
            var v = new Lanes(c, avx);
            Label decline = c.CreateLabel(), walked = c.CreateLabel();

            // Each chunk the checks read: loaded once, stored into the scratch, and its
            // differences ((chunk ^ expected) & rejects) ORed into XMM1/YMM1.
            bool first = true;
            void Chunks(int areaOffset, int length, int expected, int rejects)
            {
                for (int at = 0; at < length;)
                {
                    bool wide = avx && length - at >= 32;
                    v.Load(xmm0, __[area + areaOffset + at], wide);
                    v.Store(__[scratch + areaOffset + at], xmm0, wide);
                    v.Xor(xmm0, __[plan + expected + at], wide);
                    v.And(xmm0, __[plan + rejects + at], wide);
                    // Always 32 bytes wide in the VEX form: a 16-byte VEX OR would clear the
                    // upper half the accumulator holds (a narrow chunk's upper half is zero).
                    if (first)
                    {
                        v.Move(xmm1, xmm0, avx);
                        first = false;
                    }
                    else
                    {
                        v.Or(xmm1, xmm0, avx);
                    }

                    at += wide ? 32 : 16;
                }
            }

            Chunks(AreaOffsets.ControlLanes, RestorePlanOffsets.ControlLength, RestorePlanOffsets.ControlExpected, RestorePlanOffsets.ControlRejects);
            Chunks(AreaOffsets.Descriptor, RestorePlanOffsets.TailLength, RestorePlanOffsets.TailExpected, RestorePlanOffsets.TailRejects);

            // PKRU's lane, checked with the others (one test, one branch) and kept in XMM2, which
            // no copy below uses, to be stored after them: a slot copy may take those bytes from
            // the area again.
            c.mov(r10, __qword_ptr[plan + RestorePlanOffsets.PkruLane]);
            v.Load(xmm2, __[area + r10]);
            v.Move(xmm0, xmm2);
            v.And(xmm0, __[plan + RestorePlanOffsets.PkruRejects]);
            v.Or(xmm1, xmm0, avx);
            v.JumpUnlessZero(xmm1, decline);
            c.mov(components, __qword_ptr[scratch + AreaOffsets.Header]); // XSTATE_BV as stored: it decides which slots are copied

            // The x87 registers XRSTOR will read (and in the SSE form AVX's upper halves, which it
            // leaves to XRSTOR: on a CPU without AVX, XSTATE_BV never marks them), then the other slots.
            CopyIfSet(c, components, X87Bit, area, scratch, AreaOffsets.Registers, AreaOffsets.Xmm, avx);
            if (!avx)
            {
                CopyIfSet(c, components, AvxBit, area, scratch, AreaOffsets.Components, AreaOffsets.Components + AreaOffsets.AvxSize, avx);
            }

            // The slots: the walk takes the plan's register for its table, so the plan waits in a
            // register System V leaves free, or in the Windows home slot of the third argument.
            AssemblerRegister64 runs = plan;
            if (systemV)
            {
                c.mov(r8, plan);
            }
            else
            {
                c.mov(__qword_ptr[rsp + 24], plan);
            }

            c.mov(runs, __qword_ptr[plan + RestorePlanOffsets.Runs]);
            Zero(c, xmm1, avx);
            WalkRuns(c, area, scratch, runs, components, avx, walked);
            c.Label(ref walked);
            if (systemV)
            {
                plan = r8;
            }
            else
            {
                c.mov(plan, __qword_ptr[rsp + 24]);
            }

            // PKRU's lane as it was checked, over whatever a slot copy above put there.
            c.mov(r10, __qword_ptr[plan + RestorePlanOffsets.PkruLane]);
            v.Store(__[scratch + r10], xmm2);

            // Every check passed. The XMM registers and AVX's upper halves are loaded straight from
            // the caller's area: register bytes cannot fault, and XRSTOR reading 512 freshly copied
            // bytes cost several times these loads. XRSTOR then loads the rest from the scratch
            // (x87, PKRU, AVX-512's components, which only touch what these loads leave), and
            // LDMXCSR the checked MXCSR (a standard-form XRSTOR loads it from memory whenever it
            // restores SSE or AVX, whatever XSTATE_BV says).
            LoadVectorRegisters(c, area, components, systemV, avx);
            if (!systemV)
            {
                c.mov(r10, scratch); // EDX takes the mask
                scratch = r10;
            }

            c.mov(eax, SafeFeatureMask & ~((1u << SseBit) | (avx ? 1u << AvxBit : 0)));
            c.xor(edx, edx);
            c.xrstor64(__[scratch]);
            c.ldmxcsr(__dword_ptr[scratch + AreaOffsets.ControlLanes + MxcsrOffset]);
            c.xor(eax, eax);
            c.ret();

            c.Label(ref decline);
            if (avx)
            {
                c.vzeroupper();
            }

            c.mov(rax, area);
            c.ret();
        }

        /// <summary>
        /// Lane operations, 16 bytes in legacy SSE or VEX encoding, or 32 (<c>wide</c>, VEX only)
        /// through the YMM register of the same number: VEX code never mixes with legacy SSE on AVX
        /// CPUs, whose transitions cost.
        /// </summary>
        private sealed class Lanes(Assembler c, bool avx)
        {
            public void Load(AssemblerRegisterXMM to, AssemblerMemoryOperand from, bool wide = false) =>
                Emit(wide, () => c.vmovdqu(Ymm(to), __ymmword_ptr[from]), () => c.vmovdqu(to, __xmmword_ptr[from]), () => c.movdqu(to, __xmmword_ptr[from]));

            // Aligned: the scratch is 64-byte aligned and every lane is at a multiple of 16.
            public void Store(AssemblerMemoryOperand to, AssemblerRegisterXMM from, bool wide = false) =>
                Emit(wide, () => c.vmovdqu(__ymmword_ptr[to], Ymm(from)), () => c.vmovdqa(__xmmword_ptr[to], from), () => c.movdqa(__xmmword_ptr[to], from));

            public void StoreUnaligned(AssemblerMemoryOperand to, AssemblerRegisterXMM from, bool wide = false) =>
                Emit(wide, () => c.vmovdqu(__ymmword_ptr[to], Ymm(from)), () => c.vmovdqu(__xmmword_ptr[to], from), () => c.movdqu(__xmmword_ptr[to], from));

            // The low 8 bytes from a general register, the high 8 zero.
            public void FromGeneral(AssemblerRegisterXMM to, AssemblerRegister64 from) =>
                Emit(false, () => { }, () => c.vmovq(to, from), () => c.movq(to, from));

            public void Move(AssemblerRegisterXMM to, AssemblerRegisterXMM from, bool wide = false) =>
                Emit(wide, () => c.vmovdqa(Ymm(to), Ymm(from)), () => c.vmovdqa(to, from), () => c.movdqa(to, from));

            // The plan's lanes are 16-byte aligned, as legacy SSE memory operands must be.
            public void Xor(AssemblerRegisterXMM to, AssemblerMemoryOperand with, bool wide = false) =>
                Emit(wide, () => c.vxorps(Ymm(to), Ymm(to), __ymmword_ptr[with]), () => c.vpxor(to, to, __xmmword_ptr[with]), () => c.pxor(to, __xmmword_ptr[with]));

            public void And(AssemblerRegisterXMM to, AssemblerMemoryOperand with, bool wide = false) =>
                Emit(wide, () => c.vandps(Ymm(to), Ymm(to), __ymmword_ptr[with]), () => c.vpand(to, to, __xmmword_ptr[with]), () => c.pand(to, __xmmword_ptr[with]));

            public void Or(AssemblerRegisterXMM to, AssemblerRegisterXMM with, bool wide = false) =>
                Emit(wide, () => c.vorps(Ymm(to), Ymm(to), Ymm(with)), () => c.vpor(to, to, with), () => c.por(to, with));

            // Jumps unless every bit of the register is zero: VPTEST over all 256 bits where AVX is
            // enabled (AVX implies SSE4.1); SSE2 elsewhere (no PTEST: compare each byte with zero).
            public void JumpUnlessZero(AssemblerRegisterXMM lane, Label target)
            {
                if (avx)
                {
                    c.vptest(Ymm(lane), Ymm(lane));
                    c.jnz(target);
                    return;
                }

                AssemblerRegisterXMM zero = lane == xmm0 ? xmm1 : xmm0;
                Zero(c, zero, avx);
                c.pcmpeqb(lane, zero);
                c.pmovmskb(eax, lane);
                c.cmp(eax, 0xFFFF);
                c.jne(target);
            }

            // One operation in its three encodings: 32 bytes (VEX.256), 16 in VEX, 16 in legacy SSE.
            // The 32-byte forms are AVX's own (VANDPS, not VPAND: 256-bit integer operations are
            // AVX2, which a Sandy Bridge lacks; qemu's SandyBridge model raised #UD on them).
            private void Emit(bool wide, System.Action vex256, System.Action vex128, System.Action sse)
            {
                if (wide)
                {
                    vex256();
                }
                else if (avx)
                {
                    vex128();
                }
                else
                {
                    sse();
                }
            }

            private static AssemblerRegisterYMM Ymm(AssemblerRegisterXMM register) => register == xmm0 ? ymm0 : ymm1;
        }

        private static void Zero(Assembler c, AssemblerRegisterXMM register, bool avx)
        {
            if (avx)
            {
                c.vpxor(register, register, register); // VEX.128 clears the upper half too
            }
            else
            {
                c.xorps(register, register);
            }
        }

        private const int X87Bit = 0, SseBit = 1, AvxBit = 2;

        /// <summary>MXCSR's place in the legacy region's second control lane.</summary>
        private const int MxcsrOffset = 24;

        /// <summary>
        /// What XRSTOR64 does to the XMM registers and AVX's upper halves, done by loads: each
        /// register from the area where XSTATE_BV marks the component, zero where it does not
        /// (VZEROUPPER for AVX, which also tells the CPU the upper halves are in their init state).
        /// The Windows convention keeps XMM6–XMM15's low halves the caller's, as its XRSTOR
        /// thunks do; their upper halves are volatile there too, and load like the others.
        /// </summary>
        private static void LoadVectorRegisters(Assembler c, AssemblerRegister64 area, AssemblerRegister64 components, bool systemV, bool avx)
        {
            AssemblerRegisterXMM[] xmm = [xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15];
            AssemblerRegisterYMM[] ymm = [ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7, ymm8, ymm9, ymm10, ymm11, ymm12, ymm13, ymm14, ymm15];
            int loaded = systemV ? 16 : 6;
            Label sseInit = c.CreateLabel(), sseDone = c.CreateLabel();
            c.bt(components, (byte)SseBit);
            c.jae(sseInit);
            for (int i = 0; i < loaded; i++)
            {
                new Lanes(c, avx).Load(xmm[i], __[area + AreaOffsets.Xmm + (16 * i)]);
            }

            c.jmp(sseDone);
            c.Label(ref sseInit);
            for (int i = 0; i < loaded; i++)
            {
                Zero(c, xmm[i], avx);
            }

            c.Label(ref sseDone);
            if (!avx)
            {
                return;
            }

            Label avxInit = c.CreateLabel(), avxDone = c.CreateLabel();
            c.bt(components, (byte)AvxBit);
            c.jae(avxInit);
            for (int i = 0; i < 16; i++)
            {
                c.vinsertf128(ymm[i], ymm[i], __xmmword_ptr[area + AreaOffsets.Components + (16 * i)], 1);
            }

            c.jmp(avxDone);
            c.Label(ref avxInit);
            c.vzeroupper();
            c.Label(ref avxDone);
        }

        // Bytes [start, end) by straight-line vector moves, the last one 16 bytes where the width leaves a half.
        private static void StraightCopy(Assembler c, AssemblerRegister64 from, AssemblerRegister64 to, int start, int end, bool avx)
        {
            int offset = start;
            for (; offset + (avx ? 32 : 16) <= end; offset += avx ? 32 : 16)
            {
                VectorMove(c, __[from + offset], __[to + offset], avx, zeroing: false);
            }

            if (offset < end)
            {
                var lanes = new Lanes(c, avx);
                lanes.Load(xmm0, __[from + offset]);
                lanes.StoreUnaligned(__[to + offset], xmm0);
            }
        }

        // StraightCopy when `bit` is set in `components`.
        private static void CopyIfSet(Assembler c, AssemblerRegister64 components, int bit, AssemblerRegister64 from, AssemblerRegister64 to, int start, int end, bool avx)
        {
            Label clear = c.CreateLabel();
            c.bt(components, (byte)bit);
            c.jae(clear);
            StraightCopy(c, from, to, start, end, avx);
            c.Label(ref clear);
        }

        // Walks the run table at `runs` (see CopyRuns), then jumps to `done`. XMM1/YMM1 must be zero.
        private static void WalkRuns(Assembler c, AssemblerRegister64 from, AssemblerRegister64 to, AssemblerRegister64 runs, AssemblerRegister64 components, bool avx, Label done)
        {
            int width = avx ? 32 : 16;
            Label run = c.CreateLabel(), take = c.CreateLabel(), zero = c.CreateLabel(), skip = c.CreateLabel();
            c.movzx(r11d, __word_ptr[runs + 2]);
            c.test(r11d, r11d);
            c.jz(done);
            c.Label(ref run);
            c.movzx(eax, __byte_ptr[runs + 4]);
            c.cmp(eax, 0xFF);
            c.je(take);
            c.bt(components, rax);
            c.jae(skip); // CF clear: the component is not in the set
            c.Label(ref take);
            c.movzx(r10d, __word_ptr[runs]);
            c.cmp(__byte_ptr[runs + 5], 0);
            c.jne(zero);
            Moves(c, from, to, avx, width, zeroing: false, skip);
            c.Label(ref zero);
            c.xor(eax, eax);
            Moves(c, from, to, avx, width, zeroing: true, skip);
            c.Label(ref skip);
            c.add(runs, 8);
            c.movzx(r11d, __word_ptr[runs + 2]);
            c.test(r11d, r11d);
            c.jnz(run);
            c.jmp(done);
        }

        // One vector from `source` to `target` through XMM0/YMM0, or XMM1/YMM1's zeros to `target`.
        private static void VectorMove(Assembler c, AssemblerMemoryOperand source, AssemblerMemoryOperand target, bool avx, bool zeroing)
        {
            if (avx)
            {
                if (!zeroing)
                {
                    c.vmovdqu(ymm0, __ymmword_ptr[source]);
                }

                c.vmovdqu(__ymmword_ptr[target], zeroing ? ymm1 : ymm0);
            }
            else
            {
                if (!zeroing)
                {
                    c.movups(xmm0, __xmmword_ptr[source]);
                }

                c.movups(__xmmword_ptr[target], zeroing ? xmm1 : xmm0);
            }
        }

        // R11D bytes (at least 1) at offset R10, with few branches whatever the length: whole
        // vectors and a last one ending at the run's end (the same bytes twice where they
        // overlap), or under a vector two overlapping 16-, 8-, 4- or 1-byte moves (and a middle
        // byte for 3). Loops of single bytes cost a run ten times its bytes.
        private static void Moves(Assembler c, AssemblerRegister64 from, AssemblerRegister64 to, bool avx, int width, bool zeroing, Label finished)
        {
            Label vectors = c.CreateLabel(), under = c.CreateLabel(), under16 = c.CreateLabel(), under8 = c.CreateLabel(), under4 = c.CreateLabel(), two = c.CreateLabel();
            var lanes = new Lanes(c, avx);

            void Pair(int size, Label next)
            {
                c.cmp(r11d, size);
                c.jb(next);
                c.lea(r11, __[r10 + r11 - size]);
                foreach (AssemblerRegister64 at in new[] { r10, r11 })
                {
                    switch (size)
                    {
                        case 16:
                            if (!zeroing)
                            {
                                lanes.Load(xmm0, __[from + at]);
                            }

                            lanes.StoreUnaligned(__[to + at], zeroing ? xmm1 : xmm0);
                            break;
                        case 8:
                            if (!zeroing)
                            {
                                c.mov(rax, __qword_ptr[from + at]);
                            }

                            c.mov(__qword_ptr[to + at], rax);
                            break;
                        default:
                            if (!zeroing)
                            {
                                c.mov(eax, __dword_ptr[from + at]);
                            }

                            c.mov(__dword_ptr[to + at], eax);
                            break;
                    }
                }

                c.jmp(finished);
                c.Label(ref next);
            }

            void Byte(AssemblerRegister64 at, int displacement)
            {
                if (!zeroing)
                {
                    c.mov(al, __byte_ptr[from + at + displacement]);
                }

                c.mov(__byte_ptr[to + at + displacement], al);
            }

            c.cmp(r11d, width);
            c.jb(under);
            c.lea(r11, __[r10 + r11 - width]); // the last vector's offset
            c.Label(ref vectors);
            VectorMove(c, __[from + r10], __[to + r10], avx, zeroing);
            c.add(r10, width);
            c.cmp(r10, r11);
            c.jb(vectors);
            VectorMove(c, __[from + r11], __[to + r11], avx, zeroing);
            c.jmp(finished);

            c.Label(ref under);
            if (avx)
            {
                Pair(16, under16);
            }

            Pair(8, under8);
            Pair(4, under4);
            // 1 to 3 bytes: the first, the last, and for 3 the middle one.
            c.cmp(r11d, 3);
            c.jne(two);
            Byte(r10, 1);
            c.Label(ref two);
            c.lea(r11, __[r10 + r11 - 1]);
            Byte(r10, 0);
            Byte(r11, 0);
            c.jmp(finished);
        }

        /// <summary>
        /// The Windows x64 convention makes the low 128 bits of XMM6–XMM15 callee-saved, and a
        /// restore overwrites them: the Windows form keeps the caller's on the stack around
        /// <paramref name="restore"/> (System V makes every XMM register caller-saved). Legacy SSE
        /// moves, not VEX: they run on every x86-64 CPU, AVX or not, and leave the upper halves
        /// the restore loaded. The slots sit in a 16-byte-aligned block (RSP is 8 past a multiple
        /// of 16 at entry); unaligned moves all the same, so a caller that broke that rule gets
        /// its registers back rather than a fault.
        /// </summary>
        private static void KeepingWindowsXmm(Assembler c, bool systemV, System.Action restore)
        {
            if (systemV)
            {
                restore();
                return;
            }

            c.sub(rsp, WindowsXmmFrame);
            for (int i = 0; i < WindowsCalleeSavedXmm.Length; i++)
            {
                c.movups(__xmmword_ptr[rsp + (i * 16)], WindowsCalleeSavedXmm[i]);
            }

            restore();
            for (int i = 0; i < WindowsCalleeSavedXmm.Length; i++)
            {
                c.movups(WindowsCalleeSavedXmm[i], __xmmword_ptr[rsp + (i * 16)]);
            }

            c.add(rsp, WindowsXmmFrame);
        }

        private static readonly AssemblerRegisterXMM[] WindowsCalleeSavedXmm = [xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15];

        // Ten 16-byte slots, plus 8 so the block starts 16-byte aligned.
        private const int WindowsXmmFrame = (10 * 16) + 8;

        private static byte[] Finish(Assembler c)
        {
            using var stream = new MemoryStream();
            c.Assemble(new StreamCodeWriter(stream), 0);
            return stream.ToArray();
        }

        /// <summary>CR4.OSXSAVE: enables XGETBV, XSETBV and the XSAVE family.</summary>
        private const int OsXSaveBit = 18;

        /// <summary>
        /// Runs <paramref name="body"/> only at CPL 0 and returns the status in EAX: 0, or
        /// NotPrivileged without executing it. The check is in the machine code itself, so no
        /// caller, however it reached the code, can make the privileged instruction raise #GP.
        /// </summary>
        private static void Privileged(Assembler c, System.Action body)
        {
            Label refuse = c.CreateLabel();
            c.mov(eax, cs);
            c.test(al, 3);
            c.jnz(refuse);
            body();
            c.xor(eax, eax);
            c.ret();
            c.Label(ref refuse);
            c.mov(eax, (int)FreestandingStatus.NotPrivileged);
            c.ret();
        }

        // EDX:EAX = mask & SafeFeatureMask; the safe set fits in EAX, so EDX is 0.
        private static void Mask(Assembler c, ThunkModel thunk, AssemblerRegister32 mask)
        {
            if (thunk.HasMask)
            {
                c.mov(eax, mask);
                c.and(eax, (int)SafeFeatureMask);
            }
            else
            {
                c.mov(eax, SafeFeatureMask);
            }

            c.xor(edx, edx);
        }

        internal static EquatableArray<string> Disassemble(byte[] code)
        {
            var decoder = Decoder.Create(64, new ByteArrayCodeReader(code));
            var formatter = new IntelFormatter();
            formatter.Options.UppercaseHex = true;
            var output = new StringOutput();
            var lines = new List<string>();
            while (decoder.IP < (ulong)code.Length)
            {
                int start = (int)decoder.IP;
                decoder.Decode(out Instruction instruction);
                formatter.Format(instruction, output);
                string hex = string.Concat(code.Skip(start).Take(instruction.Length).Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));
                // The widest instruction assembled here is 10 bytes (mov r64, imm64): 20 hex digits.
                lines.Add(string.Format(CultureInfo.InvariantCulture, "{0:X4}  {1,-20}{2}", start, hex, output.ToStringAndReset()));
            }

            return lines.ToEquatableArray();
        }
    }
}
