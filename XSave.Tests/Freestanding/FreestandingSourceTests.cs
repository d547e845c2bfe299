using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using NUnit.Framework;
using XSave.Tests.Support;

namespace XSave.Tests.Freestanding;

/// <summary>What the generator writes for a project without XSave.Runtime, and that it compiles where only a minimal core library exists.</summary>
public class FreestandingSourceTests
{
    internal const string EverySignature = """
        using XSave;

        namespace Kernel
        {
            internal static unsafe partial class Cpu
            {
                [XSaveThunk(XSaveInstruction.XSave)]
                public static partial XSaveStatus Save(void* area);

                [XSaveThunk(XSaveInstruction.XSave)]
                public static partial XSaveStatus SaveMask(byte* area, ulong mask);

                [XSaveThunk(XSaveInstruction.XSaveOpt)]
                public static partial XSaveStatus SaveOptimized(void* area);

                [XSaveThunk(XSaveInstruction.XSaveC)]
                public static partial XSaveStatus SaveCompacted(void* area);

                [XSaveThunk(XSaveInstruction.XRstor)]
                public static partial XSaveStatus Restore(void* area);

                [XSaveThunk(XSaveInstruction.XRstor)]
                public static partial XSaveStatus RestoreMask(void* area, ulong mask);

                [XSaveThunk(XSaveInstruction.XRstor, Unchecked = true)]
                public static partial XSaveStatus RestoreUnchecked(void* area);

                [XSaveThunk(XSaveInstruction.FxSave)]
                public static partial XSaveStatus FxSave(void* region);

                [XSaveThunk(XSaveInstruction.FxRstor)]
                public static partial XSaveStatus FxRestore(void* region);

                [XSaveThunk(XSaveInstruction.XSaveXRstor)]
                public static partial XSaveStatus Switch(void* save, void* restore);

                [XSaveThunk(XSaveInstruction.XSaveCXRstor)]
                public static partial XSaveStatus SwitchCompacted(void* save, void* restore, ulong mask);

                [XSaveThunk(XSaveInstruction.XGetBv)]
                public static partial XSaveStatus ReadXcr(uint register, out ulong value);

                [XSaveThunk(XSaveInstruction.XSetBv)]
                public static partial XSaveStatus WriteXcr(uint register, ulong value);

                [XSaveThunk(XSaveInstruction.ReadCr4)]
                public static partial XSaveStatus ReadCr4(out ulong value);

                [XSaveThunk(XSaveInstruction.EnableOsXSave)]
                public static partial XSaveStatus EnableOsXSave();
            }
        }
        """;

    [Test]
    public void Every_signature()
    {
        var (result, output) = FreestandingHarness.Run(FreestandingHarness.AgainstBcl(EverySignature));
        Assert.That(result.Exception, Is.Null);
        Assert.That(result.Diagnostics.Select(d => d.Id).Distinct(), Is.EqualTo(new[] { "XSAVE008" }), "each method says it got the freestanding form, and nothing else is reported");
        Assert.That(result.Diagnostics.Single(d => d.GetMessage().Contains("'Save'")).Severity, Is.EqualTo(DiagnosticSeverity.Info));
        Assert.That(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error), Is.Empty, "the generated code compiles");
        GeneratedSourceResult generated = result.GeneratedSources.Single(s => s.HintName == "XSaveFreestandingThunks.g.cs");
        Snapshot.Match(generated.HintName, generated.SourceText.ToString());
    }

    [Test]
    public void The_types_the_project_gets_instead_of_XSave_Runtime()
    {
        var (result, _) = FreestandingHarness.Run(FreestandingHarness.AgainstBcl(EverySignature));
        GeneratedSourceResult types = result.GeneratedSources.Single(s => s.HintName == "XSaveFreestandingTypes.g.cs");
        Snapshot.Match(types.HintName, types.SourceText.ToString());
    }

    [Test]
    public void Compiles_against_the_samples_minimal_core_library_with_no_references()
    {
        string[] coreLibrary = Directory.GetFiles(Path.Combine(StressProcess.RepositoryRoot, "samples", "Freestanding", "CoreLib"), "*.cs");
        Assert.That(coreLibrary, Is.Not.Empty);
        var (result, output) = FreestandingHarness.Run(FreestandingHarness.AgainstCoreLibrary(EverySignature, coreLibrary));
        Assert.That(result.Exception, Is.Null);
        Assert.That(output.References, Is.Empty, "nothing but the core library's source");
        Assert.That(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()), Is.Empty);
        Assert.That(result.GeneratedSources.Select(s => s.HintName), Does.Contain("XSaveFreestandingThunks.g.cs"));
    }

    [Test]
    public void Without_the_symbol_the_project_gets_no_types()
    {
        var (result, output) = FreestandingHarness.Run(FreestandingHarness.AgainstBcl("class C { }", defineSymbol: false), defineSymbol: false);
        Assert.That(result.GeneratedSources.Select(s => s.HintName), Is.EqualTo(new[] { "XSaveFreestandingTypes.g.cs" }));
        Assert.That(output.GetTypeByMetadataName("XSave.XSaveThunkAttribute"), Is.Null, "the types are behind #if XSAVE_FREESTANDING");
        Assert.That(output.GetTypeByMetadataName("XSave.XSaveStatus"), Is.Null);
    }
}
