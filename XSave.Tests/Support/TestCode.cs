using System.Runtime.InteropServices;

namespace XSave.Tests.Support;

/// <summary>
/// Test-only machine code, assembled with Iced at run time and mapped like the library's thunks,
/// for checks where managed code between two calls could clobber the registers under test.
/// </summary>
internal static class TestCode
{
    /// <summary>
    /// Assembles <paramref name="emit"/>, written for the System V ABI (arguments in RDI, RSI, RDX,
    /// RCX), and maps it read+execute, callable as this OS's unmanaged default. On Windows it sits
    /// behind an adapter: Windows passes arguments in RCX, RDX, R8, R9 and makes RDI, RSI and the
    /// low halves of XMM6–XMM15 callee-saved, which System V code may freely overwrite.
    /// </summary>
    public static nint Map(Action<Assembler> emit)
    {
        var assembler = new Assembler(64);
        if (OperatingSystem.IsWindows())
        {
            WindowsAdapter(assembler);
        }

        emit(assembler);
        using var stream = new System.IO.MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), 0);
        return ExecutableMemory.Map(stream.ToArray(), "XSave.Tests", string.Empty);
    }

    // (area in RDI, fresh area in RSI, scratch in RDX): keep this thread's state, load the area,
    // save what the registers now hold, and put the thread's own state back.
    private static readonly Lazy<nint> LoadThenSaveCode = new(() => Map(c =>
    {
        c.mov(r8, rdx);
        c.mov(eax, (uint)XSaveArea.SavedFeatures);
        c.xor(edx, edx);
        c.xsave64(__[r8]);
        c.xrstor64(__[rdi]);
        c.xsave64(__[rsi]);
        c.xrstor64(__[r8]);
        c.ret();
    }));

    /// <summary>
    /// XRSTOR of <paramref name="area"/> then XSAVE into a fresh area, in one piece of machine code
    /// (no managed code touches a vector register between them), the thread's own state kept
    /// around both. Unchecked: the caller has had the library accept the area first.
    /// </summary>
    public static unsafe XSaveArea LoadThenSave(in XSaveArea area)
    {
        using var areas = new AlignedBuffer(3 * XSaveArea.Size);
        XSaveArea* source = (XSaveArea*)areas.Pointer;
        *source = area;
        ((delegate* unmanaged<XSaveArea*, XSaveArea*, XSaveArea*, void>)LoadThenSaveCode.Value)(source, source + 1, source + 2);
        return source[1];
    }

    /// <summary>The arguments of <see cref="CheckedLoadThenSave"/>'s machine code, and what the routine declined (0 or the area).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct CheckedLoadArguments
    {
        public XSaveArea* Area, Saved, Kept, Scratch;
        public void* Plan;
        public nint Routine;
        public nint Declined;
    }

    // (arguments in RDI): keep this thread's state, call the routine (System V form) on the area,
    // save what the registers now hold, and put the thread's own state back.
    private static readonly Lazy<nint> CheckedLoadThenSaveCode = new(() => Map(c =>
    {
        c.push(rbx);
        c.mov(rbx, rdi);
        c.mov(eax, (uint)XSaveArea.SavedFeatures);
        c.xor(edx, edx);
        c.mov(r8, __qword_ptr[rbx + 16]);
        c.xsave64(__[r8]);
        c.mov(rdi, __qword_ptr[rbx]);
        c.mov(rsi, __qword_ptr[rbx + 24]);
        c.mov(rdx, __qword_ptr[rbx + 32]);
        c.call(__qword_ptr[rbx + 40]);
        c.mov(__qword_ptr[rbx + 48], rax);
        c.mov(eax, (uint)XSaveArea.SavedFeatures);
        c.xor(edx, edx);
        c.mov(r8, __qword_ptr[rbx + 8]);
        c.xsave64(__[r8]);
        c.mov(r8, __qword_ptr[rbx + 16]);
        c.xrstor64(__[r8]);
        c.pop(rbx);
        c.ret();
    }));

    /// <summary>
    /// A checked-restore routine (its System V bytes, mapped at <paramref name="routine"/>) on
    /// <paramref name="area"/>, then XSAVE into a fresh area, in one piece of machine code, the
    /// thread's own state kept around both. Returns what the routine declined (0 when it loaded the
    /// area, else the area) and what was saved.
    /// </summary>
    public static unsafe (nint Declined, XSaveArea Saved) CheckedLoadThenSave(in XSaveArea area, nint routine, void* plan)
    {
        using var areas = new AlignedBuffer(4 * XSaveArea.Size);
        XSaveArea* source = (XSaveArea*)areas.Pointer;
        *source = area;
        var arguments = new CheckedLoadArguments { Area = source, Saved = source + 1, Kept = source + 2, Scratch = source + 3, Plan = plan, Routine = routine };
        ((delegate* unmanaged<CheckedLoadArguments*, void>)CheckedLoadThenSaveCode.Value)(&arguments);
        return (arguments.Declined, source[1]);
    }

    // Keeps what Windows makes callee-saved and System V does not, moves the arguments, calls the
    // body that follows. Two pushes and 168 bytes keep RSP 8 past a multiple of 16 at the body's entry.
    private static void WindowsAdapter(Assembler c)
    {
        Label body = c.CreateLabel();
        AssemblerRegisterXMM[] kept = [xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15];
        c.push(rdi);
        c.push(rsi);
        c.sub(rsp, 168);
        for (int i = 0; i < kept.Length; i++)
        {
            c.movups(__xmmword_ptr[rsp + (i * 16)], kept[i]);
        }

        c.mov(rdi, rcx);
        c.mov(rsi, rdx);
        c.mov(rdx, r8);
        c.mov(rcx, r9);
        c.call(body);
        for (int i = 0; i < kept.Length; i++)
        {
            c.movups(kept[i], __xmmword_ptr[rsp + (i * 16)]);
        }

        c.add(rsp, 168);
        c.pop(rsi);
        c.pop(rdi);
        c.ret();
        c.Label(ref body);
    }
}
