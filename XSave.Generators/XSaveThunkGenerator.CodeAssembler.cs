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
                case XSaveInstruction.XSaveXRstor or XSaveInstruction.XSaveCXRstor:
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
                        else
                        {
                            c.xsave64(__[area]);
                        }

                        c.xrstor64(__[restore]);
                    });
                    break;
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
