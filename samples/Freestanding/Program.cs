using System.Runtime;
using System.Runtime.CompilerServices;
using Freestanding.Uefi;
using XSave;

namespace Freestanding
{
    /// <summary>
    /// A UEFI application: turns XSAVE on (CR4.OSXSAVE, then XCR0 with XSETBV), saves its state
    /// into a page, changes MXCSR's rounding through a restore, shows the change in a division,
    /// restores the saved state, and checks that each refused input came back as a status, not a fault.
    /// </summary>
    internal static unsafe class Program
    {
        private const ulong OsXSave = 1UL << 18;
        private const uint MxcsrRoundingControl = 0x6000; // bits 13-14; both set: toward zero
        private const uint MxcsrFlags = 0x3F;             // sticky exception flags: 1/3 sets PE
        private const uint OneThirdNearest = 0x3EAAAAAB, OneThirdTruncated = 0x3EAAAAAA;

        // ILC wants an entry point; the firmware calls EfiMain.
        private static void Main()
        {
        }

        [RuntimeExport("EfiMain")]
        private static ulong EfiMain(void* image, SystemTable* system)
        {
            Output.Attach(system->ConsoleOut);
            CodePages.Attach(system->BootServices);
            Output.Line("XSave freestanding sample: C# compiled by NativeAOT into a UEFI application");
            Run(system->BootServices);
            Report.Finish();
            system->RuntimeServices->ResetSystem(ResetType.Shutdown, 0, 0, null);
            return 0;
        }

        private static void Run(BootServices* boot)
        {
            XSaveStatus status = XSaveThunks.Install(XSaveCallingConvention.Windows, &CodePages.Allocate, &CodePages.Protect);
            if (!Report.Step(status == XSaveStatus.Ok, "thunks mapped by XSaveThunks.Install"))
            {
                return;
            }

            Show("  at ", (ulong)XSaveThunks.Base);
            Show("  bytes ", XSaveThunks.Length);
            Output.Write("  pages: ");
            Output.Line(CodePages.Protection);
            Report.Step(XSaveThunks.PrivilegeLevel == 0, "running at CPL 0 (probe: CS bits 0-1)");
            if (!Report.Step(XSaveThunks.HasXSave, "CPUID.1:ECX.XSAVE: the CPU has XSAVE"))
            {
                return;
            }

            ulong cr4;
            Report.Step(Cpu.ReadCr4(out cr4) == XSaveStatus.Ok, "CR4 read");
            Show("  CR4 ", cr4);
            ulong xcr0;
            if ((cr4 & OsXSave) == 0)
            {
                Report.Step(Cpu.ReadXcr(0, out xcr0) == XSaveStatus.NotEnabled, "XGETBV before CR4.OSXSAVE: refused as NotEnabled (it would raise #UD)");
            }

            Report.Step(Cpu.EnableOsXSave() == XSaveStatus.Ok && Cpu.ReadCr4(out cr4) == XSaveStatus.Ok && (cr4 & OsXSave) != 0, "CR4.OSXSAVE set");
            Show("  CR4 ", cr4);
            Report.Step(Cpu.ReadXcr(0, out xcr0) == XSaveStatus.Ok, "XGETBV reads XCR0");
            Show("  XCR0 ", xcr0);
            Show("  offered by CPUID.(0DH,0) ", XSaveThunks.SupportedXcr0);

            Report.Step(Cpu.WriteXcr(0, 0x4) == XSaveStatus.InvalidXcr0, "XSETBV 0x4 (AVX without x87 and SSE): refused as InvalidXcr0 before it could raise #GP");
            Report.Step(Cpu.WriteXcr(1, 0x3) == XSaveStatus.InvalidRegister, "XSETBV to XCR1: refused as InvalidRegister");
            ulong wanted = XSaveThunks.SupportedXcr0 & 0x7; // x87, SSE and AVX where offered
            Report.Step(Cpu.WriteXcr(0, wanted) == XSaveStatus.Ok && Cpu.ReadXcr(0, out xcr0) == XSaveStatus.Ok && xcr0 == wanted, "XSETBV: XCR0 = x87 | SSE | AVX where offered, read back");
            Show("  XCR0 ", xcr0);

            ulong pages = 0;
            if (!Report.Step(boot->AllocatePages(AllocateType.AnyPages, MemoryType.LoaderData, 3, &pages) == 0, "three pages for areas"))
            {
                return;
            }

            Areas((byte*)pages);
        }

        private static void Areas(byte* saved)
        {
            byte* edited = saved + 4096, check = saved + 8192;
            if (!Report.Step(Cpu.Save(saved) == XSaveStatus.Ok, "XSAVE into a page-sized area"))
            {
                return;
            }

            uint mxcsr = Mxcsr(saved);
            Show("  XSTATE_BV ", *(ulong*)(saved + 512));
            Show("  MXCSR ", mxcsr);
            Report.Step(OneThird() == OneThirdNearest, "1/3 in single precision rounds to nearest: 0x3EAAAAAB");

            Copy(saved, edited);
            *(uint*)(edited + 24) = mxcsr | MxcsrRoundingControl;
            *(ulong*)(edited + 512) |= 2; // SSE in use: XRSTOR loads MXCSR from the area
            Report.Step(Cpu.Restore(edited) == XSaveStatus.Ok, "XRSTOR of a copy whose MXCSR rounds toward zero");
            uint truncated = OneThird();
            Report.Step(Cpu.Save(check) == XSaveStatus.Ok && (Mxcsr(check) & MxcsrRoundingControl) == MxcsrRoundingControl, "XSAVE shows the new MXCSR");
            Show("  MXCSR ", Mxcsr(check));
            Report.Step(truncated == OneThirdTruncated, "the same division now truncates: 0x3EAAAAAA");
            Show("  1/3 ", truncated);

            Report.Step(Cpu.Restore(saved) == XSaveStatus.Ok, "XRSTOR of the saved area");
            Report.Step(OneThird() == OneThirdNearest && Cpu.Save(check) == XSaveStatus.Ok && (Mxcsr(check) & ~MxcsrFlags) == (mxcsr & ~MxcsrFlags), "rounding to nearest again, MXCSR's controls as saved");

            Refused(saved, edited, 530, 1, XSaveStatus.InvalidHeader, "a reserved header byte set: refused as InvalidHeader");
            Refused(saved, edited, 25, (byte)((mxcsr >> 8) & ~0x02u), XSaveStatus.UnmaskedExceptions, "MXCSR with division by zero unmasked: refused as UnmaskedExceptions");
            Report.Step(Cpu.Restore(saved + 16) == XSaveStatus.MisalignedArea, "an area 16 bytes off: refused as MisalignedArea");
            Report.Step(OneThird() == OneThirdNearest, "after the refusals, MXCSR still rounds to nearest");
        }

        // A copy of the saved area with one byte changed must come back refused, and unchanged.
        private static void Refused(byte* saved, byte* edited, int offset, byte value, XSaveStatus expected, string what)
        {
            Copy(saved, edited);
            edited[offset] = value;
            bool refused = Cpu.Restore(edited) == expected;
            bool untouched = edited[offset] == value;
            edited[offset] = saved[offset];
            for (int i = 0; i < 4096; i++)
            {
                untouched &= edited[i] == saved[i];
            }

            Report.Step(refused && untouched, what);
        }

        private static uint Mxcsr(byte* area) => *(uint*)(area + 24);

        private static void Copy(byte* from, byte* to)
        {
            for (int i = 0; i < 4096; i++)
            {
                to[i] = from[i];
            }
        }

        private static uint OneThird()
        {
            float one = 1, three = 3;
            return Divide(&one, &three);
        }

        // Through pointers and not inlined, so the compiler cannot fold the division: the CPU does it, under MXCSR.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static uint Divide(float* dividend, float* divisor)
        {
            float quotient = *dividend / *divisor;
            return *(uint*)&quotient;
        }

        private static void Show(string label, ulong value)
        {
            Output.Write(label);
            Output.Hex(value);
            Output.Write("\r\n");
        }
    }
}
