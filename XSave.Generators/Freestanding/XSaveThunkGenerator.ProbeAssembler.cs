using System.IO;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace XSave.Generators;

public sealed partial class XSaveThunkGenerator
{
    /// <summary>
    /// The freestanding page's first slot: one call that asks the CPU what the checks need, so
    /// that no thunk runs CPUID (a VM exit under a hypervisor) on every call.
    /// </summary>
    internal static class ProbeAssembler
    {
        /// <summary>The ulong slots the probe fills, in the order of the emitted CpuAnswers struct.</summary>
        public const int Leaf1 = 0, SupportedXcr0 = 1, LeafD1 = 2, Xcr0 = 3, MxcsrMask = 4, Cpl = 5, FirstComponent = 6, AlignedComponents = 14, Slots = 16;

        public static byte[] Encode(bool systemV)
        {
            var c = new Assembler(64);
            Label noLeafD = c.CreateLabel(), noXcr0 = c.CreateLabel(), noFxsr = c.CreateLabel();
            Label component = c.CreateLabel(), unaligned = c.CreateLabel();
            c.push(rbx); // CPUID writes EBX, which both conventions make callee-saved
            c.mov(r10, systemV ? rdi : rcx);

            // Every slot starts at zero: what a CPU does not answer reads as "absent".
            Label clear = c.CreateLabel();
            c.xor(eax, eax);
            c.mov(r11d, Slots);
            c.Label(ref clear);
            c.mov(__qword_ptr[r10 + r11 * 8 - 8], rax);
            c.dec(r11d);
            c.jnz(clear);

            // Leaf 1: XSAVE (ECX 26), OSXSAVE (ECX 27), FXSR (EDX 24).
            Cpuid(c, 1);
            Store(c, Leaf1, ecx, edx);

            // Leaf 0DH, only where the CPU has it: the XCR0 bits it offers, its sub-leaf 1 flags,
            // and each user component's size, standard offset and compacted alignment.
            c.xor(eax, eax);
            c.cpuid();
            c.cmp(eax, 0x0D);
            c.jb(noLeafD);
            Cpuid(c, 0x0D);
            Store(c, SupportedXcr0, eax, edx);
            c.mov(eax, 0x0D);
            c.mov(ecx, 1);
            c.cpuid();
            c.mov(__dword_ptr[r10 + (LeafD1 * 8)], eax);
            c.mov(r11d, 2);
            c.Label(ref component);
            c.mov(eax, 0x0D);
            c.mov(ecx, r11d);
            c.cpuid();
            c.mov(__dword_ptr[r10 + r11 * 8 + ((FirstComponent - 2) * 8)], eax);
            c.mov(__dword_ptr[r10 + r11 * 8 + ((FirstComponent - 2) * 8) + 4], ebx);
            c.bt(ecx, 1);
            c.jnc(unaligned);
            c.bts(__qword_ptr[r10 + (AlignedComponents * 8)], r11);
            c.Label(ref unaligned);
            c.inc(r11d);
            c.cmp(r11d, 9);
            c.jbe(component);
            c.Label(ref noLeafD);

            // XCR0 only once CR4.OSXSAVE is set: XGETBV raises #UD before.
            c.test(__dword_ptr[r10 + (Leaf1 * 8)], 1 << 27);
            c.jz(noXcr0);
            c.xor(ecx, ecx);
            c.xgetbv();
            Store(c, Xcr0, eax, edx);
            c.Label(ref noXcr0);

            // MXCSR_MASK, from an FXSAVE into a 16-byte-aligned block below the stack pointer.
            c.test(__dword_ptr[r10 + (Leaf1 * 8) + 4], 1 << 24);
            c.jz(noFxsr);
            c.mov(r11, rsp);
            c.sub(rsp, 512 + 16);
            c.and(rsp, -16);
            c.fxsave64(__[rsp]);
            c.mov(eax, __dword_ptr[rsp + 28]);
            c.mov(__dword_ptr[r10 + (MxcsrMask * 8)], eax);
            c.mov(rsp, r11);
            c.Label(ref noFxsr);

            // The privilege level the code runs at: CS's low two bits.
            c.mov(eax, cs);
            c.and(eax, 3);
            c.mov(__dword_ptr[r10 + (Cpl * 8)], eax);
            c.pop(rbx);
            c.ret();

            using var stream = new MemoryStream();
            c.Assemble(new StreamCodeWriter(stream), 0);
            return stream.ToArray();
        }

        // CPUID of `leaf`, sub-leaf 0.
        private static void Cpuid(Assembler c, uint leaf)
        {
            c.mov(eax, leaf);
            c.xor(ecx, ecx);
            c.cpuid();
        }

        // One 8-byte answer slot from two 32-bit registers (low, then high).
        private static void Store(Assembler c, int slot, AssemblerRegister32 low, AssemblerRegister32 high)
        {
            c.mov(__dword_ptr[r10 + (slot * 8)], low);
            c.mov(__dword_ptr[r10 + (slot * 8) + 4], high);
        }
    }
}
