using System;
using System.IO;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using XSave.Generators;

namespace XSave.Benchmarks;

/// <summary>
/// The generator's own cost on a project with 1,000 [XSaveThunk] methods: a full run (parse,
/// assemble 2,000 thunks with Iced, emit), and a run after an edit that touches no thunk.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private const int Thunks = 1000;
    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _edited = null!;
    private GeneratorDriver _warm = null!;

    [GlobalSetup]
    public void Setup()
    {
        var source = new StringBuilder("using XSave;\nnamespace Many;\npublic static unsafe partial class Thunks\n{\n");
        for (int i = 0; i < Thunks; i++)
        {
            source.AppendLine(i % 2 == 0
                ? $"    [XSaveThunk(XSaveInstruction.XSave)] public static partial void Save{i}(XSaveArea* area, ulong mask);"
                : $"    [XSaveThunk(XSaveInstruction.XRstor)] public static partial void Restore{i}(in XSaveArea area);");
        }

        source.Append("}\n");
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        MetadataReference[] references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal))
            .Append(typeof(XSaveArea).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray();
        _compilation = CSharpCompilation.Create("Many", [CSharpSyntaxTree.ParseText(source.ToString(), parse)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        _edited = _compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated { }", parse));
        _warm = NewDriver().RunGenerators(_compilation);
    }

    private static GeneratorDriver NewDriver() =>
        CSharpGeneratorDriver.Create([new XSaveThunkGenerator().AsSourceGenerator()], parseOptions: new CSharpParseOptions(LanguageVersion.Latest));

    [Benchmark(Description = "1,000 thunks: full generation")]
    public GeneratorDriver FullRun() => NewDriver().RunGenerators(_compilation);

    [Benchmark(Description = "1,000 thunks: unrelated edit (cached)")]
    public GeneratorDriver UnrelatedEdit() => _warm.RunGenerators(_edited);
}
