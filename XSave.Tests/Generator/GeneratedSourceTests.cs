using Microsoft.CodeAnalysis;

namespace XSave.Tests.Generator;

/// <summary>Snapshots of what the generator writes, and proof that it compiles.</summary>
public class GeneratedSourceTests
{
    private const string EverySignature = """
        using XSave;

        namespace Consumer.Cpu
        {
            public static unsafe partial class State
            {
                [XSaveThunk(XSaveInstruction.XSave)]
                public static partial void Save(XSaveArea* area);

                [XSaveThunk(XSaveInstruction.XSaveOpt)]
                internal static partial void SaveOptimized(ref XSaveArea area, ulong mask);

                [XSaveThunk(XSaveInstruction.XSaveC)]
                private static partial void SaveCompacted(ref XSaveArea area);

                [XSaveThunk(XSaveInstruction.XRstor)]
                public static partial void Restore(in XSaveArea area, ulong mask);

                [XSaveThunk(XSaveInstruction.XRstor, Unchecked = true)]
                public static partial void RestoreUnchecked(XSaveArea* area);

                [XSaveThunk(XSaveInstruction.XSave)]
                public static partial void SaveFeatures(XSaveArea* area, XFeatures mask);

                [XSaveThunk(XSaveInstruction.FxSave)]
                public static partial void FxSave(ref LegacyRegion region);

                [XSaveThunk(XSaveInstruction.FxRstor)]
                public static partial void FxRestore(ref readonly LegacyRegion region);

                [XSaveThunk(XSaveInstruction.XGetBv)]
                public static partial ulong ReadXcr(uint register);

                [XSaveThunk(XSaveInstruction.XSaveXRstor)]
                public static partial void Switch(XSaveArea* from, XSaveArea* to);

                [XSaveThunk(XSaveInstruction.XSaveXRstor)]
                public static partial void SwitchFeatures(XSaveArea* from, XSaveArea* to, XFeatures mask);

                [XSaveThunk(XSaveInstruction.XSaveCXRstor)]
                public static partial void SwitchCompacted(XSaveArea* from, XSaveArea* to);

                public partial struct Nested<T>
                {
                    [XSaveThunk(XSaveInstruction.XSave)]
                    static partial void SaveNested(XSaveArea* @event);
                }
            }
        }

        partial class GlobalType
        {
            [XSaveThunk(XSaveInstruction.XRstor)]
            static unsafe partial void Restore(ref XSaveArea area);
        }
        """;

    [Test]
    public void Every_signature()
    {
        var (result, output) = GeneratorHarness.Run(EverySignature);
        Assert.That(result.Exception, Is.Null);
        Assert.That(result.Diagnostics, Is.Empty);
        Assert.That(GeneratorHarness.Errors(output), Is.Empty, "the generated code compiles");
        GeneratedSourceResult generated = GeneratorHarness.Thunks(result).Single();

        // The page class's fixed part is a file of this repository, emitted verbatim: the snapshot
        // keeps what the generator writes for these methods.
        string template = System.IO.File.ReadAllText(System.IO.Path.Combine(Repository.Root, "XSave.Generators", "Templates", "XSaveThunkPage.cs")).Replace("\r\n", "\n").TrimEnd('\n');
        string text = generated.SourceText.ToString();
        Assert.That(text, Does.Contain(template), "the template, verbatim");
        Snapshot.Match(generated.HintName, text.Replace(template, "// (XSave.Generators/Templates/XSaveThunkPage.cs, verbatim)", StringComparison.Ordinal));
    }

    [Test]
    public void No_thunks_means_no_output()
    {
        var (result, _) = GeneratorHarness.Run("class Plain { static void M() { } }");
        Assert.That(GeneratorHarness.Thunks(result), Is.Empty);
    }

    [Test]
    public void Masks_are_clamped_to_the_safe_set_in_the_machine_code()
    {
        var (result, _) = GeneratorHarness.Run(EverySignature);
        string text = GeneratorHarness.Thunks(result).Single().SourceText.ToString();
        Assert.That(text, Does.Contain("and eax,0A02FFh").And.Contain("mov eax,0A02FFh"));
        Assert.That(text, Does.Not.Contain("mov eax,0FFFFFFFFh"));
    }
}
