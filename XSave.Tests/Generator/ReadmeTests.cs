using System.IO;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace XSave.Tests.Generator;

/// <summary>The README's C# examples (also the package's getting started) compile as printed, with the generator run on them.</summary>
public class ReadmeTests
{
    // A console project's implicit usings, as `dotnet new console` has them.
    private const string ImplicitUsings = "global using System; global using System.IO; global using System.Collections.Generic; global using System.Linq;";

    private static string[] Examples()
    {
        string readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        return Regex.Matches(readme, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToArray();
    }

    // The thunk example is a whole program; the others continue one program together.
    private static bool IsThunkProgram(string example) => example.Contains("[XSaveThunk", StringComparison.Ordinal);

    [Test]
    public void Every_CSharp_example_in_the_README_compiles()
    {
        string[] examples = Examples();
        Assert.That(examples, Has.Length.GreaterThanOrEqualTo(3), "the README's examples were found");

        // Examples with statements continue one program (the later ones use the first's usings).
        const string Usings = "using XSave;\nusing XSave.Diagnostics;";
        Assert.That(examples[0], Does.StartWith(Usings), "the first example says what it uses");
        string program = string.Join("\n", examples.Where(e => !IsThunkProgram(e)).Select(e => e.Replace(Usings, string.Empty, StringComparison.Ordinal)));
        Assert.That(examples.Count(IsThunkProgram), Is.EqualTo(1), "the thunk example was found");
        Assert.That(Errors(Compiled(ImplicitUsings + "\n" + Usings + "\n" + program)), Is.Empty, "the statements");
    }

    [Test]
    public void The_thunk_example_runs_as_printed()
    {
        Compilation compilation = Compiled(ImplicitUsings + "\n" + Examples().Single(IsThunkProgram));
        Assert.That(Errors(compilation), Is.Empty, "compiles, with <AllowUnsafeBlocks>");
        if (!XSaveArea.IsSupported)
        {
            Assert.Ignore("Running it needs XSAVE: it compiled.");
        }

        using var image = new MemoryStream();
        Assert.That(compilation.Emit(image).Success, Is.True);
        Assembly assembly = Assembly.Load(image.ToArray());
        TextWriter console = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            MethodInfo main = assembly.EntryPoint!;
            main.Invoke(null, main.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
        }
        finally
        {
            Console.SetOut(console);
        }

        TestContext.Out.WriteLine(output);
        Assert.That(output.ToString(), Does.StartWith($"XCR0 0x{(ulong)XSaveArea.EnabledFeatures:X}; saved in use: "));
    }

    private static Compilation Compiled(string source)
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(source).WithOptions(new CSharpCompilationOptions(OutputKind.ConsoleApplication, allowUnsafe: true));
        GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var generatorDiagnostics);
        Assert.That(generatorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error), Is.Empty);
        return output;
    }

    private static string[] Errors(Compilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToArray();
}
