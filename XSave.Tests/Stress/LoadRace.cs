using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace XSave.Stress;

/// <summary>
/// One thread loads an aligned area in a loop (through <c>--target</c>: area, XSaveArea.Load;
/// legacy, LegacyRegion.Load; thunk and legacy-thunk, generated checked XRSTOR and FXRSTOR
/// thunks) while another flips one checked field of it
/// between an accepted and a refused value. A restore that checked the caller's bytes and then
/// restored them again would, sooner or later, load the refused value: a #GP or a hazard. Prints
/// "loads N", "refused N", "hazards-loaded N" (an accepted load that left the live state with the
/// hazard the flip sets: an unmasked exception, x87 registers in use) and exits 0 if it lived.
/// </summary>
internal static unsafe class LoadRace
{
    public static int Run(Options options)
    {
        string field = options.Text("field") ?? "header";
        string restore = options.Text("target") ?? "area";
        long milliseconds = options.Number("ms", 500);
        var area = (XSaveArea*)NativeMemory.AlignedAlloc(XSaveArea.Size, XSaveArea.Alignment);
        area->Save();
        area->Header.XStateBv |= XFeatures.X87 | XFeatures.Sse; // loaded, so their fields are judged
        var (offset, flip, hazard) = Field(field, area);
        if (offset < 0)
        {
            Console.WriteLine($"skipped {field}: this CPU does not enable it");
            return 0;
        }

        bool done = false;
        var writer = new Thread(() =>
        {
            byte* target = (byte*)area + offset;
            while (!Volatile.Read(ref done))
            {
                *(uint*)target ^= flip;
            }
        });
        long loads = 0, refused = 0, hazards = 0;
        XSaveArea* live = (XSaveArea*)NativeMemory.AlignedAlloc(XSaveArea.Size, XSaveArea.Alignment);
        writer.Start();
        long deadline = Environment.TickCount64 + milliseconds;
        while (Environment.TickCount64 < deadline)
        {
            try
            {
                switch (restore)
                {
                    case "legacy": area->Legacy.Load(); break;
                    case "thunk": StressThunks.Restore(area); break;
                    case "legacy-thunk": StressThunks.RestoreLegacy((LegacyRegion*)area); break;
                    default: area->Load(); break;
                }

                loads++;
                live->Save();
                if (hazard((IntPtr)live))
                {
                    hazards++;
                    XSaveArea.Clear();
                }
            }
            catch (InvalidXSaveAreaException)
            {
                refused++;
            }
        }

        Volatile.Write(ref done, true);
        writer.Join();
        XSaveArea.Clear();
        Console.WriteLine($"loads {loads}");
        Console.WriteLine($"refused {refused}");
        Console.WriteLine($"hazards-loaded {hazards}");
        return 0;
    }

    // Where the flip lands (a 32-bit word), which bits it toggles, and what a loaded hazard looks like.
    private static (int Offset, uint Flip, Func<IntPtr, bool> Hazard) Field(string field, XSaveArea* area)
    {
        static bool None(IntPtr _) => false;
        static bool UnmaskedSse(IntPtr live) => (((XSaveArea*)live)->Legacy.Mxcsr & Mxcsr.AllExceptionMasks) != Mxcsr.AllExceptionMasks;
        static bool UnmaskedX87(IntPtr live) => (((XSaveArea*)live)->Legacy.Fcw & X87ControlWord.AllExceptionMasks) != X87ControlWord.AllExceptionMasks;
        static bool X87InUse(IntPtr live) => ((XSaveArea*)live)->Legacy.AbridgedFtw != 0;
        switch (field)
        {
            case "header": return (XSaveArea.HeaderOffset + 16, 1, None); // a reserved byte: #GP
            case "xstate-bv": return (XSaveArea.HeaderOffset + 4, 1u << 30, None); // bit 62: #GP
            case "xcomp-bv": return (XSaveArea.HeaderOffset + 12, 1u << 31, None); // bit 63 on a standard area
            case "mxcsr": return (24, 1u << 31, None); // reserved: #GP
            case "mxcsr-mask": return (24, (uint)Mxcsr.ZeroDivideMask, UnmaskedSse);
            case "fcw": return (0, (uint)X87ControlWord.ZeroDivideMask, UnmaskedX87);
            case "ftw": return (4, 0x80, X87InUse);
            case "pkru":
                if (XSaveLayout.Current?.Slot(XFeatures.Pkru) is not { } slot || !XSaveArea.SavedFeatures.HasFlag(XFeatures.Pkru))
                {
                    return (-1, 0, None);
                }

                area->Header.XStateBv |= XFeatures.Pkru;
                return (slot.Offset, 1, None); // key 0 access disabled: the next access faults
            default:
                throw new ArgumentException($"unknown field '{field}'");
        }
    }
}
