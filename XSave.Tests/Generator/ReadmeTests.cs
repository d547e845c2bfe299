using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NUnit.Framework;
using XSave.Tests.Support;

namespace XSave.Tests.Generator;

/// <summary>The README's C# examples (also the package's getting started) compile as printed, with the generator run on them.</summary>
public class ReadmeTests
{
    // A console project's implicit usings, as `dotnet new console` has them.
    private const string ImplicitUsings = "global using System; global using System.IO; global using System.Collections.Generic; global using System.Linq;";

    private static string[] Examples()
    {
        string readme = File.ReadAllText(Path.Combine(StressProcess.RepositoryRoot, "README.md"));
        return Regex.Matches(readme, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToArray();
    }

    [Test]
    public void Every_CSharp_example_in_the_README_compiles()
    {
        string[] examples = Examples();
        Assert.That(examples, Has.Length.GreaterThanOrEqualTo(3), "the README's examples were found");

        // Examples with statements continue one program (the second uses the first's 'using XSave;').
        string program = string.Join("\n", examples.Where(e => !e.Contains("partial class", StringComparison.Ordinal)).Select(e => e.Replace("using XSave;", string.Empty, StringComparison.Ordinal)));
        string[] types = examples.Where(e => e.Contains("partial class", StringComparison.Ordinal)).ToArray();
        Assert.That(types, Is.Not.Empty, "the thunk example was found");

        Assert.Multiple(() =>
        {
            Assert.That(Errors(ImplicitUsings + "\nusing XSave;\n" + program, OutputKind.ConsoleApplication), Is.Empty, "the statements");
            foreach (string type in types)
            {
                Assert.That(Errors(ImplicitUsings + "\n" + type, OutputKind.DynamicallyLinkedLibrary), Is.Empty, "the thunk declarations, with <AllowUnsafeBlocks>");
            }
        });
    }

    private static string[] Errors(string source, OutputKind kind)
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(source).WithOptions(new CSharpCompilationOptions(kind, allowUnsafe: true));
        GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var generatorDiagnostics);
        return generatorDiagnostics.Concat(output.GetDiagnostics()).Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToArray();
    }
}
