using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using XSave.__Internals;
using XSave.Generators;
using XSave.Generators.Helpers;
using XSave.Generators.Models;
using static XSave.Tests.Support.ConventionHarness;
using GeneratedInstruction = XSave.Generators.Shared.XSaveInstruction;

namespace XSave.Tests.Hardware;

/// <summary>
/// Every thunk the generator can assemble, called at the machine-code level in both calling
/// conventions with every register a convention speaks of holding a known value: the callee-saved
/// ones must come back as they were, and a restore must load exactly what its convention lets
/// it load (docs/design.md, "What a restore loads on each OS"). The bytes do not depend on the
/// OS, so both conventions run on any x86-64 host and on every CPU model CI emulates.
/// </summary>
public unsafe class CallingConventionTests
{
    /// <summary>Every instruction with and without a mask parameter, as the parser accepts them.</summary>
    public static IEnumerable<TestCaseData> Thunks()
    {
        foreach (Convention convention in Enum.GetValues<Convention>())
        {
            foreach (GeneratedInstruction instruction in Enum.GetValues<GeneratedInstruction>())
            {
                yield return new TestCaseData(instruction.ToString(), false, convention);
                if (TakesMask(instruction))
                {
                    yield return new TestCaseData(instruction.ToString(), true, convention);
                }
            }
        }
    }

    [TestCaseSource(nameof(Thunks))]
    public void Thunk_keeps_the_convention(string name, bool hasMask, Convention convention)
    {
        var instruction = Enum.Parse<GeneratedInstruction>(name);
        RequireX64();
        // The generator's XSaveInstruction: the runtime's members and values, and the privileged ones.
        AssembledThunk assembled = XSaveThunkGenerator.CodeAssembler.Run(Model(instruction, hasMask));
        byte[] code = (convention == Convention.Windows ? assembled.Windows : assembled.SystemV).ToArray();
        nint entry = ExecutableMemory.Map(code, "XSave.Tests", string.Empty);
        RunAndCheck(entry, instruction, convention);
    }

    [TestCase(Convention.SystemV)]
    [TestCase(Convention.Windows)]
    public void Freestanding_probe_keeps_the_convention(Convention convention)
    {
        RequireX64();
        nint entry = ExecutableMemory.Map(XSaveThunkGenerator.ProbeAssembler.Encode(convention == Convention.SystemV), "XSave.Tests", string.Empty);
        using var answers = new AlignedBuffer(XSaveThunkGenerator.ProbeAssembler.Slots * 8);
        using var frame = new AlignedBuffer(Frame.Size);
        Frame* f = (Frame*)frame.Pointer;
        FillKnownValues(f);
        f->Target = entry;
        f->Argument0 = (ulong)answers.Pointer;
        Call(f, convention);
        AssertKept(f, convention, restoredXmm: null);
        Assert.That(*(ulong*)(answers.Pointer + (XSaveThunkGenerator.ProbeAssembler.Leaf1 * 8)), Is.Not.Zero, "the probe ran: CPUID leaf 1 recorded");
    }

    /// <summary>The runtime's own page, as mapped in this process (this OS's convention): the bytes its Save and Load execute.</summary>
    [Test]
    public void Runtime_page_keeps_the_convention()
    {
        RequireX64();
        var region = new LegacyRegion();
        region.Save(); // maps the runtime's page
        ExecutableMapping page = ExecutableMemory.Mappings.First(m => m.Owner == "XSave");
        Convention convention = OperatingSystem.IsWindows() ? Convention.Windows : Convention.SystemV;
        var entries = page.Listing.Split('\n')
            .Where(line => line.StartsWith("0x", StringComparison.Ordinal))
            .Select(line => (Offset: int.Parse(line[2..6], NumberStyles.HexNumber, CultureInfo.InvariantCulture), Instruction: Enum.Parse<GeneratedInstruction>(line[(line.LastIndexOf('(') + 1)..^1])))
            .ToArray();
        Assert.That(entries.Select(e => e.Instruction), Does.Contain(GeneratedInstruction.XRstor).And.Contain(GeneratedInstruction.FxRstor).And.Contain(GeneratedInstruction.XSaveXRstor));
        int ran = 0;
        foreach ((int offset, GeneratedInstruction instruction) in entries)
        {
            if (Unsupported(instruction) is null)
            {
                RunAndCheck(page.Address + offset, instruction, convention);
                ran++;
            }
        }

        Assert.That(ran, Is.GreaterThan(0), "FXSAVE and FXRSTOR run on every x86-64 CPU");
    }

    /// <summary>
    /// Calls the thunk at <paramref name="entry"/> with valid arguments: areas whose XMM registers
    /// hold values distinct from the known ones, the safe mask. Then: callee-saved registers as they
    /// were; XMM0–XMM5 loaded by a restore; XMM6–XMM15 loaded on System V, kept on Windows.
    /// </summary>
    private static void RunAndCheck(nint entry, GeneratedInstruction instruction, Convention convention)
    {
        if (Unsupported(instruction) is { } reason)
        {
            Assert.Ignore(reason);
        }

        using var frame = new AlignedBuffer(Frame.Size);
        using var first = new AlignedBuffer(XSaveArea.Size);
        using var second = new AlignedBuffer(XSaveArea.Size);
        Frame* f = (Frame*)frame.Pointer;
        FillKnownValues(f);
        PrepareRestorable((XSaveArea*)first.Pointer);
        PrepareRestorable((XSaveArea*)second.Pointer);
        bool isSwitch = instruction is GeneratedInstruction.XSaveXRstor or GeneratedInstruction.XSaveCXRstor or GeneratedInstruction.XSaveOptXRstor;
        XmmRegister[] loaded = AreaXmm((XSaveArea*)(isSwitch ? second.Pointer : first.Pointer));

        f->Target = entry;
        f->Argument3 = XSaveArea.IsSupported ? (ulong)XSaveArea.SavedFeatures : 0; // a run copy's components: every saved slot
        // The control-word writes get the thread's own words: the harness checks the convention, not the words.
        LegacyRegion words = default;
        words.Save();
        (f->Argument0, f->Argument1, f->Argument2) = instruction switch
        {
            GeneratedInstruction.XGetBv => (0UL, 0UL, 0UL),
            GeneratedInstruction.LdMxcsr => ((ulong)words.Mxcsr, 0UL, 0UL),
            GeneratedInstruction.FldCw => ((ulong)words.Fcw, 0UL, 0UL),
            GeneratedInstruction.StMxcsr or GeneratedInstruction.FnStCw => (0UL, 0UL, 0UL),
            GeneratedInstruction.XSetBv => (0UL, 7UL, 0UL),
            GeneratedInstruction.XSaveXRstor or GeneratedInstruction.XSaveCXRstor or GeneratedInstruction.XSaveOptXRstor => ((ulong)first.Pointer, (ulong)second.Pointer, (ulong)XSaveArea.SafeFeatures),
            // The runtime's routines, with its own tables: copy every saved slot; restore `first` through `second`.
            GeneratedInstruction.CopyRuns or GeneratedInstruction.CopyRunsAvx => ((ulong)first.Pointer, (ulong)second.Pointer, (ulong)RuntimeTables.SlotRuns),
            GeneratedInstruction.CheckedRestore or GeneratedInstruction.CheckedRestoreAvx => ((ulong)first.Pointer, (ulong)second.Pointer, (ulong)RuntimeTables.RestorePlan),
            // A bounced save into `first`, misaligned by 8, through `second`.
            GeneratedInstruction.SaveBounced or GeneratedInstruction.SaveBouncedAvx => ((ulong)first.Pointer + 8, (ulong)second.Pointer, (ulong)RuntimeTables.RestorePlan),
            GeneratedInstruction.PreparedSave => ((ulong)first.Pointer, (ulong)RuntimeTables.RestorePlan, 0UL),
            _ => ((ulong)first.Pointer, (ulong)XSaveArea.SafeFeatures, 0UL),
        };

        XSaveArea before = default;
        if (XSaveArea.IsSupported)
        {
            before.Save();
        }

        try
        {
            Call(f, convention);
        }
        finally
        {
            if (XSaveArea.IsSupported)
            {
                before.Load();
            }
        }

        bool restores = isSwitch || instruction is GeneratedInstruction.XRstor or GeneratedInstruction.FxRstor
            or GeneratedInstruction.CheckedRestore or GeneratedInstruction.CheckedRestoreAvx;
        // The copy routines move their vectors through XMM0 and XMM1 (volatile in both conventions).
        int scratchXmm = instruction is GeneratedInstruction.CopyRuns or GeneratedInstruction.CopyRunsAvx or GeneratedInstruction.SaveBounced or GeneratedInstruction.SaveBouncedAvx ? 2 : 0;
        AssertKept(f, convention, restores ? loaded : null, scratchXmm);
        Assert.Multiple(() =>
        {
            switch (instruction)
            {
                case GeneratedInstruction.XGetBv:
                    Assert.That((XFeatures)f->Rax, Is.EqualTo(XSaveArea.EnabledFeatures), "XGETBV(0) returned XCR0");
                    break;
                case GeneratedInstruction.StMxcsr:
                    Assert.That((Mxcsr)(uint)f->Rax & ~Mxcsr.AllExceptionFlags, Is.EqualTo(words.Mxcsr & ~Mxcsr.AllExceptionFlags), "STMXCSR returned MXCSR");
                    break;
                case GeneratedInstruction.FnStCw:
                    Assert.That((X87ControlWord)(ushort)f->Rax, Is.EqualTo(words.Fcw), "FNSTCW returned FCW");
                    break;
                case GeneratedInstruction.XSetBv or GeneratedInstruction.ReadCr4 or GeneratedInstruction.EnableOsXSave:
                    Assert.That((uint)f->Rax, Is.EqualTo(3u), "refused above CPL 0 (NotPrivileged), nothing executed");
                    break;
                case GeneratedInstruction.CheckedRestore or GeneratedInstruction.CheckedRestoreAvx:
                    Assert.That(f->Rax, Is.EqualTo(0UL), "the checks passed a state this thread saved, and XRSTOR ran (RAX: nothing declined)");
                    break;
                case GeneratedInstruction.SaveBounced or GeneratedInstruction.SaveBouncedAvx:
                    // The save ran inside the call: the area holds the known XMM values, 8 bytes past `first`.
                    Assert.That(AreaXmm((XSaveArea*)(first.Pointer + 8)), Is.EqualTo(Enumerable.Range(0, 16).Select(i => f->XmmIn[i]).ToArray()), "the saved XMM registers");
                    break;
                case GeneratedInstruction.CopyRuns or GeneratedInstruction.CopyRunsAvx:
                    // The two areas' XMM registers differed (PrepareRestorable writes each its own).
                    Assert.That(new Span<byte>(second.Pointer, XSaveArea.HeaderOffset + XSaveHeader.Size).ToArray(),
                        Is.EqualTo(new Span<byte>(first.Pointer, XSaveArea.HeaderOffset + XSaveHeader.Size).ToArray()), "the legacy region, descriptor and header copied");
                    break;
                case GeneratedInstruction.XSave or GeneratedInstruction.XSaveOpt or GeneratedInstruction.XSaveC or GeneratedInstruction.FxSave or GeneratedInstruction.XSaveXRstor or GeneratedInstruction.XSaveCXRstor or GeneratedInstruction.XSaveOptXRstor
                    or GeneratedInstruction.PreparedSave:
                    // The save ran inside the call: the area holds the known XMM values.
                    Assert.That(AreaXmm((XSaveArea*)first.Pointer), Is.EqualTo(Enumerable.Range(0, 16).Select(i => f->XmmIn[i]).ToArray()), "the saved XMM registers");
                    break;
            }
        });
    }

    private static void AssertKept(Frame* f, Convention convention, XmmRegister[]? restoredXmm, int scratchXmm = 0)
    {
        Assert.Multiple(() =>
        {
            Assert.That(f->RspAfter, Is.EqualTo(f->RspBefore), "RSP");
            for (int i = 0; i < GeneralNames.Length; i++)
            {
                if (IsCalleeSaved(convention, i))
                {
                    Assert.That(f->GprOut[i], Is.EqualTo(f->GprIn[i]), GeneralNames[i]);
                }
            }

            for (int i = scratchXmm; i < 16; i++)
            {
                bool kept = restoredXmm is null || (convention == Convention.Windows && i >= 6);
                XmmRegister expected = kept ? f->XmmIn[i] : restoredXmm![i];
                Assert.That(f->XmmOut[i], Is.EqualTo(expected), $"XMM{i} ({(kept ? "kept" : "loaded by the restore")})");
            }
        });
    }

    // An area that XRSTOR and FXRSTOR accept on this CPU (this thread's state, saved by the
    // runtime), whose XMM registers hold values no register starts with.
    private static void PrepareRestorable(XSaveArea* area)
    {
        if (XSaveArea.IsSupported)
        {
            area->Save();
            area->Header.XStateBv |= XFeatures.Sse; // XMM loaded from the area, not initialised
        }
        else
        {
            area->Legacy.Save();
        }

        for (int i = 0; i < 16; i++)
        {
            area->Legacy.Xmm[i] = new XmmRegister(0xA4EA_0000_0000_0000UL | ((ulong)area & 0xFFFF_FFFF) | ((ulong)(uint)i << 32), 0x10AD_ED00_0000_0000UL | (uint)i);
        }
    }

    private static XmmRegister[] AreaXmm(XSaveArea* area) => Enumerable.Range(0, 16).Select(i => area->Legacy.Xmm[i]).ToArray();

    private static string? Unsupported(GeneratedInstruction instruction)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return $"Needs an x86-64 process; this one is {RuntimeInformation.ProcessArchitecture}.";
        }

        if (instruction is GeneratedInstruction.XSetBv or GeneratedInstruction.ReadCr4 or GeneratedInstruction.EnableOsXSave)
        {
            return null; // the machine code refuses itself above CPL 0
        }

        if (instruction == GeneratedInstruction.XSaveOptXRstor)
        {
            return !XSaveArea.IsSupported ? "Needs XSAVE enabled." : !Processor.Profile.HasXSaveOpt ? "This CPU does not implement XSAVEOPT." : null;
        }

        if (XSave.Generators.Shared.InstructionTable.Of(instruction).IsRuntimeRoutine)
        {
            // The runtime's routines read its tables for this CPU; the VEX forms need AVX enabled.
            bool vex = instruction is GeneratedInstruction.CopyRunsAvx or GeneratedInstruction.CheckedRestoreAvx or GeneratedInstruction.SaveBouncedAvx;
            return !XSaveArea.IsSupported ? "Needs XSAVE enabled: the routines read the runtime's tables for this CPU."
                : vex && (XSaveArea.EnabledFeatures & XFeatures.Avx) == 0 ? "Needs AVX enabled in XCR0 (VEX-encoded moves)." : null;
        }

        try
        {
            XSaveThunkGuards.RequireInstruction((XSaveInstruction)instruction);
            return null;
        }
        catch (PlatformNotSupportedException e)
        {
            return e.Message;
        }
    }

    private static void RequireX64()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            Assert.Ignore($"Needs an x86-64 process; this one is {RuntimeInformation.ProcessArchitecture}.");
        }
    }

    private static bool TakesMask(GeneratedInstruction instruction) =>
        instruction is GeneratedInstruction.XSave or GeneratedInstruction.XSaveOpt or GeneratedInstruction.XSaveC or GeneratedInstruction.XRstor
            or GeneratedInstruction.XSaveXRstor or GeneratedInstruction.XSaveCXRstor;

    private static ThunkModel Model(GeneratedInstruction instruction, bool hasMask) => new(
        new HierarchyInfo(string.Empty, EquatableArray<string>.Empty),
        "static", "void", "Thunk", "Thunk", EquatableArray<string>.Empty,
        ParameterNames.Of(XSave.Generators.Shared.InstructionTable.Of(instruction).Shape, "area", string.Empty, hasMask ? "mask" : string.Empty), instruction, AreaPassing.Pointer, IsUnchecked: true, IsFreestanding: false);
}
