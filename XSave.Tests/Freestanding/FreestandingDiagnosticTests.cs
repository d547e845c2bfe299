using System.IO;
using Microsoft.CodeAnalysis;

namespace XSave.Tests.Freestanding;

/// <summary>The freestanding form's refusals: the signatures it takes, and a refused method's stub compiling where there are no exceptions.</summary>
public class FreestandingDiagnosticTests
{
    // (instruction, a declaration the freestanding form refuses for it)
    private static readonly string[][] Refused =
    [
        ["XSave", "static partial void M(void* a)"],
        ["XSave", "static partial XSaveStatus M(ref byte a)"],
        ["XSave", "static partial XSaveStatus M(int* a)"],
        ["XSave", "static partial XSaveStatus M(void* a, uint mask)"],
        ["FxSave", "static partial XSaveStatus M(void* a, ulong mask)"],
        ["XSaveXRstor", "static partial XSaveStatus M(void* a)"],
        ["XGetBv", "static partial XSaveStatus M(uint register, ref ulong value)"],
        ["XGetBv", "static partial ulong M(uint register)"],
        ["XSetBv", "static partial XSaveStatus M(ulong value)"],
        ["ReadCr4", "static partial XSaveStatus M(ulong* value)"],
        ["EnableOsXSave", "static partial XSaveStatus M(uint bit)"],
    ];

    [TestCaseSource(nameof(Refused))]
    public void XSAVE004_signature_the_freestanding_form_does_not_take(string instruction, string declaration)
    {
        string source = $$"""
            using XSave;
            unsafe partial class C { [XSaveThunk(XSaveInstruction.{{instruction}})] {{declaration}}; }
            """;
        var (result, _) = FreestandingHarness.Run(FreestandingHarness.AgainstBcl(source));
        Assert.That(result.Exception, Is.Null);
        Diagnostic d = result.Diagnostics.Single();
        Assert.That(d.Id, Is.EqualTo("XSAVE004"));
        Assert.That(d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), Does.Contain("declare it as 'static partial XSaveStatus"));
    }

    [Test]
    public void A_refused_method_gets_a_stub_that_compiles_without_exception_types()
    {
        string[] coreLibrary = Directory.GetFiles(Path.Combine(Repository.Root, "samples", "Freestanding", "CoreLib"), "*.cs");
        const string source = """
            using XSave;
            unsafe partial class C { [XSaveThunk(XSaveInstruction.XGetBv)] internal static partial XSaveStatus M(uint register, ulong* value); }
            """;
        var (result, output) = FreestandingHarness.Run(FreestandingHarness.AgainstCoreLibrary(source, coreLibrary));
        Assert.That(result.Diagnostics.Select(d => d.Id), Is.EqualTo(new[] { "XSAVE004" }));
        Assert.That(output.GetTypeByMetadataName("System.Exception"), Is.Null, "the core library has no exceptions to throw");
        Assert.That(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id), Is.Empty,
            "the stub compiles, so XSAVE004 is the one error (no CS8795)");
    }
}
