using System.Runtime.InteropServices;

namespace XSave.Tests.Support;

/// <summary>The calling convention a piece of machine code is called with.</summary>
public enum Convention
{
    /// <summary>System V AMD64: arguments in RDI, RSI, RDX; RBX, RBP, R12–R15 callee-saved, every XMM register caller-saved.</summary>
    SystemV,
    /// <summary>Windows x64: arguments in RCX, RDX, R8, 32 bytes of shadow space; RBX, RBP, RDI, RSI, R12–R15 and XMM6–XMM15 (low 128 bits) callee-saved.</summary>
    Windows,
}

/// <summary>
/// Calls machine code in either convention on any x86-64 OS (the bytes do not depend on the OS)
/// and records what the callee left in every register a convention says something about: all
/// sixteen XMM registers and RBX, RBP, RDI, RSI, R12–R15 are set to known values before the call
/// and read back after it, with RSP, RAX and an FXSAVE image of the x87/SSE state. The caller
/// (this harness's own machine code) keeps every register either convention makes callee-saved.
/// </summary>
internal static unsafe class ConventionHarness
{
    /// <summary>The known values and the registers after the call; 16-byte aligned for FXSAVE.</summary>
    [StructLayout(LayoutKind.Explicit, Size = Size)]
    public struct Frame
    {
        public const int Size = 0x4C0;
        public const int TargetOffset = 0x00, ArgumentsOffset = 0x08, RaxOffset = 0x20, RspBeforeOffset = 0x28, RspAfterOffset = 0x30, Argument3Offset = 0x38;
        public const int GprInOffset = 0x40, GprOutOffset = 0x80, XmmInOffset = 0xC0, XmmOutOffset = 0x1C0, FxOutOffset = 0x2C0;

        [FieldOffset(TargetOffset)] public nint Target;
        [FieldOffset(ArgumentsOffset)] public ulong Argument0;
        [FieldOffset(ArgumentsOffset + 8)] public ulong Argument1;
        [FieldOffset(ArgumentsOffset + 16)] public ulong Argument2;
        [FieldOffset(Argument3Offset)] public ulong Argument3;
        [FieldOffset(RaxOffset)] public ulong Rax;
        [FieldOffset(RspBeforeOffset)] public ulong RspBefore;
        [FieldOffset(RspAfterOffset)] public ulong RspAfter;
        [FieldOffset(GprInOffset)] public GeneralRegisters GprIn;
        [FieldOffset(GprOutOffset)] public GeneralRegisters GprOut;
        [FieldOffset(XmmInOffset)] public XmmRegisters XmmIn;
        [FieldOffset(XmmOutOffset)] public XmmRegisters XmmOut;
        [FieldOffset(FxOutOffset)] public LegacyRegion FxOut;
    }

    /// <summary>RBX, RBP, RDI, RSI, R12, R13, R14, R15, in that order.</summary>
    [System.Runtime.CompilerServices.InlineArray(8)]
    public struct GeneralRegisters
    {
        private ulong _element;
    }

    /// <summary>XMM0–XMM15.</summary>
    [System.Runtime.CompilerServices.InlineArray(16)]
    public struct XmmRegisters
    {
        private XmmRegister _element;
    }

    /// <summary>The names of <see cref="GeneralRegisters"/>' slots.</summary>
    public static readonly string[] GeneralNames = ["RBX", "RBP", "RDI", "RSI", "R12", "R13", "R14", "R15"];

    /// <summary>Which of <see cref="GeneralRegisters"/>' slots the convention makes callee-saved.</summary>
    public static bool IsCalleeSaved(Convention convention, int slot) =>
        convention == Convention.Windows || GeneralNames[slot] is not ("RDI" or "RSI");

    private static readonly nint[] s_callers = new nint[2];

    /// <summary>Calls <paramref name="frame"/>.Target in <paramref name="convention"/> and fills the frame's outputs.</summary>
    public static void Call(Frame* frame, Convention convention)
    {
        if (((nint)frame & 15) != 0)
        {
            throw new ArgumentException("The frame must be 16-byte aligned (FXSAVE).", nameof(frame));
        }

        nint caller = s_callers[(int)convention];
        if (caller == 0)
        {
            s_callers[(int)convention] = caller = TestCode.Map(c => EmitCaller(c, convention));
        }

        ((delegate* unmanaged<Frame*, void>)caller)(frame);
    }

    /// <summary>Known, distinct values: no register starts equal to another or to anything a thunk loads.</summary>
    public static void FillKnownValues(Frame* frame)
    {
        for (int i = 0; i < 8; i++)
        {
            frame->GprIn[i] = 0x6A5E_0000_0000_0000UL | ((ulong)i << 32) | 0x1357_9BDFu;
        }

        for (int i = 0; i < 16; i++)
        {
            frame->XmmIn[i] = new XmmRegister(0x4B4E_4F57_0000_0000UL | (uint)i, 0x5641_4C55_4500_0000UL | (uint)i);
        }
    }

    // The host's own callee-saved registers (the union of both conventions) are kept on the stack,
    // the known values loaded, the target called in `convention`, and everything read back.
    private static void EmitCaller(Assembler c, Convention convention)
    {
        AssemblerRegister64[] general = [rbx, rbp, rdi, rsi, r12, r13, r14, r15];
        AssemblerRegisterXMM[] xmm = [xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15];
        const int Shadow = 32, HostXmm = Shadow, FrameSlot = HostXmm + (10 * 16), Locals = FrameSlot + 8; // 200: RSP 16-aligned at the call

        foreach (AssemblerRegister64 register in general)
        {
            c.push(register);
        }

        c.sub(rsp, Locals);
        c.mov(rax, rdi); // TestCode.Map puts the first argument there on every OS
        c.mov(__qword_ptr[rsp + FrameSlot], rax);
        for (int i = 0; i < 10; i++)
        {
            c.movups(__xmmword_ptr[rsp + HostXmm + (i * 16)], xmm[6 + i]);
        }

        for (int i = 0; i < 16; i++)
        {
            c.movups(xmm[i], __xmmword_ptr[rax + Frame.XmmInOffset + (i * 16)]);
        }

        for (int i = 0; i < general.Length; i++)
        {
            c.mov(general[i], __qword_ptr[rax + Frame.GprInOffset + (i * 8)]);
        }

        AssemblerRegister64[] arguments = convention == Convention.Windows ? [rcx, rdx, r8] : [rdi, rsi, rdx];
        for (int i = 0; i < arguments.Length; i++)
        {
            c.mov(arguments[i], __qword_ptr[rax + Frame.ArgumentsOffset + (i * 8)]);
        }

        c.mov(convention == Convention.Windows ? r9 : rcx, __qword_ptr[rax + Frame.Argument3Offset]);

        c.mov(r11, __qword_ptr[rax + Frame.TargetOffset]);
        c.mov(__qword_ptr[rax + Frame.RspBeforeOffset], rsp);
        c.call(r11);

        c.mov(r11, __qword_ptr[rsp + FrameSlot]);
        c.mov(__qword_ptr[r11 + Frame.RspAfterOffset], rsp);
        c.mov(__qword_ptr[r11 + Frame.RaxOffset], rax);
        for (int i = 0; i < general.Length; i++)
        {
            c.mov(__qword_ptr[r11 + Frame.GprOutOffset + (i * 8)], general[i]);
        }

        for (int i = 0; i < 16; i++)
        {
            c.movups(__xmmword_ptr[r11 + Frame.XmmOutOffset + (i * 16)], xmm[i]);
        }

        c.fxsave64(__[r11 + Frame.FxOutOffset]);
        for (int i = 0; i < 10; i++)
        {
            c.movups(xmm[6 + i], __xmmword_ptr[rsp + HostXmm + (i * 16)]);
        }

        c.add(rsp, Locals);
        for (int i = general.Length - 1; i >= 0; i--)
        {
            c.pop(general[i]);
        }

        c.ret();
    }
}
