using System.Text;
using Microsoft.CodeAnalysis;

namespace XSave.Tests.Generator;

/// <summary>Hostile and broken input: the generator never throws and adds no error of its own.</summary>
public class GeneratorRobustnessTests
{
    [Test]
    public void A_thousand_thunks_generate_and_compile()
    {
        var source = new StringBuilder("using XSave;\nnamespace Many;\npublic static unsafe partial class Thunks\n{\n");
        for (int i = 0; i < 1000; i++)
        {
            source.AppendLine(i % 2 == 0
                ? $"    [XSaveThunk(XSaveInstruction.XSave)] public static partial void Save{i}(XSaveArea* area, ulong mask);"
                : $"    [XSaveThunk(XSaveInstruction.XRstor)] public static partial void Restore{i}(in XSaveArea area);");
        }

        var (result, output) = GeneratorHarness.Run(source.Append("}\n").ToString());
        Assert.That(result.Exception, Is.Null);
        Assert.That(GeneratorHarness.Errors(output), Is.Empty);
        Assert.That(GeneratorHarness.Thunks(result).Single().SourceText.ToString(), Does.Contain("Restore999"));
    }

    [Test]
    public void Nested_generic_record_and_ref_struct_containers_compile()
    {
        var (result, output) = GeneratorHarness.Run("""
            using XSave;
            namespace A.B
            {
                public partial record Outer<T> where T : struct
                {
                    internal unsafe ref partial struct Inner<U>
                    {
                        [XSaveThunk(XSaveInstruction.FxSave)] static partial void Save(ref LegacyRegion region);
                    }

                    public readonly partial record struct Value
                    {
                        [XSaveThunk(XSaveInstruction.XGetBv)] public static partial ulong Read(uint register);
                    }
                }
            }
            """);
        Assert.That(result.Exception, Is.Null);
        Assert.That(result.Diagnostics, Is.Empty);
        Assert.That(GeneratorHarness.Errors(output), Is.Empty);
    }

    [Test]
    public void A_file_with_unrelated_errors_gets_no_new_error_from_the_generated_code()
    {
        const string Source = """
            using XSave;
            unsafe partial class Good
            {
                [XSaveThunk(XSaveInstruction.XSave)] static partial void Save(XSaveArea* area);
            }
            class Broken { void M() { int x = "not an int"; undefined(); } }
            """;
        var (result, output) = GeneratorHarness.Run(Source);
        Assert.That(result.Exception, Is.Null);
        Assert.That(GeneratorHarness.Errors(output).Where(e => e.Location.SourceTree?.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal) == true), Is.Empty);
        Assert.That(GeneratorHarness.Errors(output).Select(e => e.Id).Distinct(), Is.EquivalentTo(GeneratorHarness.Errors(GeneratorHarness.Compile(Source)).Select(e => e.Id).Distinct()));
    }

    [TestCase("unsafe partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] static partial void Save(XSave.XSaveArea* a")]
    [TestCase("unsafe partial class C { [XSave.XSaveThunk()] static partial void Save(XSave.XSaveArea* a); }")]
    [TestCase("unsafe partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] static partial void Save(Missing* a); }")]
    [TestCase("unsafe partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] static partial void (XSave.XSaveArea* a); }")]
    [TestCase("[XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] static partial void M(XSave.XSaveArea* a);")]
    [TestCase("unsafe partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave, Unchecked = 1)] static partial void M(XSave.XSaveArea* a); }")]
    [TestCase("unsafe partial interface I { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] static partial void M(XSave.XSaveArea* a); }")]
    [TestCase("unsafe partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] [XSave.XSaveThunk(XSave.XSaveInstruction.XRstor)] static partial void M(XSave.XSaveArea* a); }")]
    [TestCase("unsafe partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] static partial void M(XSave.XSaveArea* a); [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] static partial void M(XSave.XSaveArea* a); }")]
    [TestCase("unsafe partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] static extern partial void M(XSave.XSaveArea* a); }")]
    public void Hostile_declarations_never_make_the_generator_throw(string source)
    {
        var (result, output) = GeneratorHarness.Run(source);
        Assert.That(result.Exception, Is.Null);
        foreach (SyntaxTree tree in result.GeneratedSources.Select(s => s.SyntaxTree))
        {
            Assert.That(tree.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error), Is.Empty, "generated text parses");
        }

        Assert.That(output, Is.Not.Null);
    }
}
