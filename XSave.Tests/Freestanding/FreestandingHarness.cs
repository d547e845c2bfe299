using System.Collections.Generic;
using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using XSave.Generators;
using XSave.Tests.Generator;

namespace XSave.Tests.Freestanding;

/// <summary>
/// Compiles code the way a freestanding project is built: XSAVE_FREESTANDING defined, no reference
/// to XSave.Runtime, and either the BCL or no references at all (a minimal core library in source).
/// </summary>
internal static class FreestandingHarness
{
    public const string Symbol = "XSAVE_FREESTANDING";

    private static CSharpParseOptions ParseOptions(bool defineSymbol) =>
        new(LanguageVersion.Latest, preprocessorSymbols: defineSymbol ? [Symbol] : []);

    /// <summary>Source against the BCL, as a program hosted by an OS would be.</summary>
    public static CSharpCompilation AgainstBcl(string source, bool defineSymbol = true) =>
        CSharpCompilation.Create(
            "Freestanding",
            [CSharpSyntaxTree.ParseText(source, ParseOptions(defineSymbol), path: "Freestanding.cs")],
            GeneratorHarness.Bcl.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));

    /// <summary>Source plus a core library given as source files, and no references: a UEFI image's compilation.</summary>
    public static CSharpCompilation AgainstCoreLibrary(string source, IEnumerable<string> coreLibraryFiles) =>
        CSharpCompilation.Create(
            "Freestanding",
            coreLibraryFiles.Select(file => CSharpSyntaxTree.ParseText(File.ReadAllText(file), ParseOptions(true), path: file))
                .Append(CSharpSyntaxTree.ParseText(source, ParseOptions(true), path: "Freestanding.cs")),
            [],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));

    public static (GeneratorRunResult Result, Compilation Output) Run(CSharpCompilation compilation, bool defineSymbol = true)
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
                [new XSaveThunkGenerator().AsSourceGenerator()],
                parseOptions: ParseOptions(defineSymbol))
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        return (driver.GetRunResult().Results.Single(), output);
    }
}
