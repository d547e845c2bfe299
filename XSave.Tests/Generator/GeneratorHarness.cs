using System.Collections.Immutable;
using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using XSave.Generators;

namespace XSave.Tests.Generator;

/// <summary>Runs <see cref="XSaveThunkGenerator"/> on source text against the real runtime assembly.</summary>
internal static class GeneratorHarness
{
    /// <summary>The BCL this process runs on, as references.</summary>
    public static readonly Lazy<MetadataReference[]> Bcl = new(() =>
    {
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return platform.Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "netstandard.dll" or "mscorlib.dll")
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray();
    });

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        [.. Bcl.Value, MetadataReference.CreateFromFile(typeof(XSaveArea).Assembly.Location), MetadataReference.CreateFromFile(typeof(MinidumpFile).Assembly.Location)]);

    public static CSharpCompilation Compile(string source, bool allowUnsafe = true) =>
        CSharpCompilation.Create(
            "Consumer",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: "Consumer.cs")],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: allowUnsafe));

    public static GeneratorDriver Driver() =>
        CSharpGeneratorDriver.Create(
            [new XSaveThunkGenerator().AsSourceGenerator()],
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns its result and the compilation with the generated source added.</summary>
    public static (GeneratorRunResult Result, Compilation Output) Run(string source, bool allowUnsafe = true)
    {
        GeneratorDriver driver = Driver().RunGeneratorsAndUpdateCompilation(Compile(source, allowUnsafe), out Compilation output, out _);
        return (driver.GetRunResult().Results.Single(), output);
    }

    /// <summary>What the generator wrote for the thunks: all but the freestanding types, which every compilation gets (inert without XSAVE_FREESTANDING).</summary>
    public static GeneratedSourceResult[] Thunks(GeneratorRunResult result) =>
        result.GeneratedSources.Where(s => s.HintName != "XSaveFreestandingTypes.g.cs").ToArray();

    public static ImmutableArray<Diagnostic> Errors(Compilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
}
