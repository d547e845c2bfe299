using System.Collections;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using XSave.Generators;

namespace XSave.Tests.Generator;

/// <summary>An edit that touches no thunk must leave every tracked step cached, and models must hold no Roslyn objects.</summary>
public class IncrementalityTests
{
    private const string Source = """
        using XSave;
        unsafe partial class Thunks
        {
            [XSaveThunk(XSaveInstruction.XSave)] static partial void Save(XSaveArea* area, ulong mask);
            [XSaveThunk(XSaveInstruction.XSave)] static partial void Broken(XSaveArea* area, uint mask);
            [XSaveThunk(XSaveInstruction.XGetBv)] static partial ulong Read(uint register);
        }
        """;

    private static readonly string[] TrackedSteps =
    [
        XSaveThunkGenerator.StepNames.Parse,
        XSaveThunkGenerator.StepNames.Diagnostics,
        XSaveThunkGenerator.StepNames.Assemble,
        XSaveThunkGenerator.StepNames.Collect,
        XSaveThunkGenerator.StepNames.AssemblyName,
    ];

    [Test]
    public void Unrelated_edit_leaves_every_step_cached_or_unchanged()
    {
        CSharpCompilation first = GeneratorHarness.Compile(Source);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(first);

        CSharpCompilation second = first.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "class Unrelated { int X => 42; }", new CSharpParseOptions(LanguageVersion.Latest), path: "Unrelated.cs"));
        GeneratorRunResult result = driver.RunGenerators(second).GetRunResult().Results.Single();

        foreach (string step in TrackedSteps)
        {
            Assert.That(result.TrackedSteps.ContainsKey(step), Is.True, $"step {step} is tracked");
            var reasons = result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
            Assert.That(reasons, Is.Not.Empty);
            Assert.That(reasons, Is.All.AnyOf(IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged), $"step {step}");
        }

        Assert.That(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason),
            Is.All.EqualTo(IncrementalStepRunReason.Cached));
    }

    [Test]
    public void Editing_a_thunk_reruns_only_that_thunk()
    {
        CSharpCompilation first = GeneratorHarness.Compile(Source);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(first);
        SyntaxTree old = first.SyntaxTrees.Single();
        CSharpCompilation second = first.ReplaceSyntaxTree(old, old.WithChangedText(old.GetText().Replace(
            Source.IndexOf("ulong mask", System.StringComparison.Ordinal), "ulong mask".Length, "ulong features")));
        GeneratorRunResult result = driver.RunGenerators(second).GetRunResult().Results.Single();

        var assembled = result.TrackedSteps[XSaveThunkGenerator.StepNames.Assemble].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
        Assert.That(assembled, Has.Exactly(1).EqualTo(IncrementalStepRunReason.Modified));
        Assert.That(assembled, Has.Exactly(1).EqualTo(IncrementalStepRunReason.Cached).Or.EqualTo(IncrementalStepRunReason.Unchanged));
    }

    [Test]
    public void Step_outputs_hold_no_symbols_syntax_or_compilations()
    {
        GeneratorRunResult result = GeneratorHarness.Driver().RunGenerators(GeneratorHarness.Compile(Source)).GetRunResult().Results.Single();
        foreach (var (step, runs) in result.TrackedSteps.Where(s => TrackedSteps.Contains(s.Key)))
        {
            foreach (object value in runs.SelectMany(r => r.Outputs).Select(o => o.Value))
            {
                AssertNoRoslynObjects(value, step, depth: 0);
            }
        }
    }

    private static void AssertNoRoslynObjects(object? value, string step, int depth)
    {
        if (value is null || depth > 6 || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        Assert.That(value, Is.Not.InstanceOf<ISymbol>().And.Not.InstanceOf<SyntaxNode>().And.Not.InstanceOf<Compilation>().And.Not.InstanceOf<SemanticModel>(), $"step {step}");
        if (value is IEnumerable items)
        {
            foreach (object? item in items)
            {
                AssertNoRoslynObjects(item, step, depth + 1);
            }

            return;
        }

        foreach (var property in value.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0))
        {
            AssertNoRoslynObjects(property.GetValue(value), step, depth + 1);
        }
    }
}
