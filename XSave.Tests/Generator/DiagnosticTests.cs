using Microsoft.CodeAnalysis;

namespace XSave.Tests.Generator;

/// <summary>One test per diagnostic: the ID, where it points and that its message says how to fix it.</summary>
public class DiagnosticTests
{
    private static string s_source = string.Empty;

    private static Diagnostic Single(string source, string id, bool allowUnsafe = true)
    {
        s_source = source;
        var (result, output) = GeneratorHarness.Run(source, allowUnsafe);
        Assert.That(result.Exception, Is.Null, "the generator never throws");
        Assert.That(result.Diagnostics.Select(d => d.Id), Is.EqualTo(new[] { id }));
        Assert.That(GeneratorHarness.Thunks(result).Select(s => s.HintName), Is.Empty.Or.EqualTo(new[] { "XSaveThunkStubs.g.cs" }), "no thunk, at most a throwing stub");
        Assert.That(GeneratorHarness.Errors(output).Where(e => e.Id == "CS8795" || e.Location.SourceTree?.FilePath != "Consumer.cs"), Is.Empty,
            "no CS8795, and the stub compiles");
        return result.Diagnostics[0];
    }

    private static string Spanned(Diagnostic diagnostic)
    {
        Assert.That(diagnostic.Location.GetLineSpan().Path, Is.EqualTo("Consumer.cs"));
        return s_source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
    }

    [Test]
    public void XSAVE001_instance_method()
    {
        Diagnostic d = Single("""
            unsafe partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] partial void Save(XSave.XSaveArea* a); }
            """, "XSAVE001");
        Assert.That(Spanned(d), Is.EqualTo("Save"));
        Assert.That(d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), Does.Contain("declare it 'static partial'"));
    }

    [Test]
    public void XSAVE002_method_with_a_body()
    {
        Diagnostic d = Single("""
            unsafe partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] static void Save(XSave.XSaveArea* a) { } }
            """, "XSAVE002");
        Assert.That(d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), Does.Contain("without a body"));
    }

    [Test]
    public void XSAVE003_generic_method()
    {
        Diagnostic d = Single("""
            unsafe partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] static partial void Save<T>(XSave.XSaveArea* a); }
            """, "XSAVE003");
        Assert.That(d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), Does.Contain("remove its type parameters"));
    }

    // Each instruction with declarations the runtime form refuses for it.
    private static readonly (string Instruction, string[] Declarations)[] Mismatched =
    [
        ("XSave", ["static partial void M(XSave.LegacyRegion* a)", "static partial void M(in XSave.XSaveArea a)", "static partial void M(XSave.XSaveArea* a, uint mask)", "static partial int M(XSave.XSaveArea* a)"]),
        ("FxSave", ["static partial void M(XSave.XSaveArea* a)"]),
        ("FxRstor", ["static partial void M(XSave.LegacyRegion* a, ulong mask)"]),
        ("XGetBv", ["static partial void M(uint register)", "static partial ulong M(ref uint register)"]),
        ("XSaveXRstor",
        [
            "static partial void M(XSave.XSaveArea* a)",
            "static partial void M(ref XSave.XSaveArea a, XSave.XSaveArea* b)",
            "static partial void M(XSave.XSaveArea* a, in XSave.XSaveArea b)",
            "static partial void M(XSave.XSaveArea* a, XSave.XSaveArea* b, uint mask)",
        ]),
        ("XSaveCXRstor", ["static partial void M(ref XSave.XSaveArea a, ref XSave.XSaveArea b)"]),
    ];

    public static System.Collections.Generic.IEnumerable<TestCaseData> MismatchedCases() =>
        Mismatched.SelectMany(m => m.Declarations.Select(d => new TestCaseData(m.Instruction, d)));

    [TestCaseSource(nameof(MismatchedCases))]
    public void XSAVE004_signature_that_does_not_match_the_instruction(string instruction, string declaration)
    {
        Diagnostic d = Single($$"""
            unsafe partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.{{instruction}})] {{declaration}}; }
            """, "XSAVE004");
        Assert.That(d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), Does.Contain("declare it as"));
    }

    // The runtime's enum has no privileged members: only a cast of their number reaches the generator.
    [TestCase("XSetBv", "public static partial void M(uint register, ulong value)")]
    [TestCase("ReadCr4", "public static partial ulong M()")]
    [TestCase("EnableOsXSave", "public static partial void M()")]
    public void XSAVE009_privileged_instruction_in_a_NET_process(string name, string declaration)
    {
        var instruction = Enum.Parse<Generators.Shared.XSaveInstruction>(name);
        Assert.That(Enum.IsDefined(typeof(XSaveInstruction), (int)instruction), Is.False, "the runtime lists only what it can run");
        Diagnostic d = Single($$"""
            unsafe partial class C { [XSave.XSaveThunk((XSave.XSaveInstruction){{(int)instruction}})] {{declaration}}; }
            """, "XSAVE009");
        Assert.That(Spanned(d), Is.EqualTo("M"));
        Assert.That(d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), Does.Contain("CPL 0").And.Contain("XSAVE_FREESTANDING"));
    }

    [Test]
    public void XSAVE005_containing_type_not_partial()
    {
        Diagnostic d = Single("""
            unsafe class Outer { unsafe partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] static partial void Save(XSave.XSaveArea* a); } }
            """, "XSAVE005");
        Assert.That(Spanned(d), Is.EqualTo("Outer"));
        Assert.That(d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), Does.Contain("add 'partial'"));
    }

    [Test]
    public void XSAVE006_unsafe_code_not_allowed()
    {
        Diagnostic d = Single("""
            partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.XSave)] static partial void Save(ref XSave.XSaveArea a); }
            """, "XSAVE006", allowUnsafe: false);
        Assert.That(d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), Does.Contain("AllowUnsafeBlocks"));
    }

    [Test]
    public void XSAVE007_unknown_instruction_value()
    {
        Diagnostic d = Single("""
            unsafe partial class C { [XSave.XSaveThunk((XSave.XSaveInstruction)42)] static partial void Save(XSave.XSaveArea* a); }
            """, "XSAVE007");
        Assert.That(d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), Does.Contain("42"));
    }

    // The runtime's own routines answer to a cast of their number in the assembly named XSave alone.
    [TestCase("CopyRuns", "static partial void M(byte* from, byte* to, void* runs, ulong components)")]
    [TestCase("CheckedRestore", "static partial void* M(XSave.XSaveArea* area, XSave.XSaveArea* scratch, void* plan)")]
    public void XSAVE007_the_runtime_s_routines_outside_the_runtime(string name, string declaration)
    {
        int number = (int)Enum.Parse<Generators.Shared.XSaveInstruction>(name);
        Diagnostic d = Single($$"""
            unsafe partial class C { [XSave.XSaveThunk((XSave.XSaveInstruction){{number}})] {{declaration}}; }
            """, "XSAVE007");
        Assert.That(d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), Does.Contain(number.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [TestCase("public static partial void Save(XSave.XSaveArea* a, uint mask)", "XSAVE004")]
    [TestCase("public partial void Save(XSave.XSaveArea* a)", "XSAVE001")]
    [TestCase("internal static partial ulong Read<T>(uint register) where T : struct", "XSAVE003")]
    [TestCase("public static partial void Save(XSave.XSaveArea* a)", "XSAVE007")]
    public void A_refused_method_with_an_accessibility_modifier_gets_one_diagnostic_not_a_CS8795_too(string declaration, string id)
    {
        string instruction = id switch { "XSAVE003" => "XSave.XSaveInstruction.XGetBv", "XSAVE007" => "(XSave.XSaveInstruction)42", _ => "XSave.XSaveInstruction.XSave" };
        string source = $$"""
            namespace N { public unsafe partial class C { [XSave.XSaveThunk({{instruction}})] {{declaration}}; } }
            """;
        Assert.That(GeneratorHarness.Errors(GeneratorHarness.Compile(source)).Select(e => e.Id), Has.Member("CS8795"), "without the generator the compiler wants a body");
        Single(source, id);
    }

    [TestCase("static partial void Load(ulong value)", "LdMxcsr", "'static partial void M(uint value)' or 'static partial void M(Mxcsr value)'")]
    [TestCase("static partial ushort Read()", "StMxcsr", "'static partial uint M()' or 'static partial Mxcsr M()'")]
    [TestCase("static partial void Read(ref ushort value)", "FnStCw", "'static partial ushort M()' or 'static partial X87ControlWord M()'")]
    [TestCase("static partial void Load(ref XSave.X87ControlWord value)", "FldCw", "'static partial void M(ushort value)' or 'static partial void M(X87ControlWord value)'")]
    public void XSAVE004_a_control_word_thunk_takes_or_returns_the_word_by_value(string declaration, string instruction, string expected)
    {
        Diagnostic d = Single($$"""
            partial class C { [XSave.XSaveThunk(XSave.XSaveInstruction.{{instruction}})] {{declaration}}; }
            """, "XSAVE004");
        Assert.That(d.GetMessage(System.Globalization.CultureInfo.InvariantCulture), Does.Contain(instruction.ToUpperInvariant()).And.Contain(expected));
    }

    [TestCase("public static partial ulong ReadXcr(uint register)", "XSave.XSaveInstruction.XGetBv")]
    [TestCase("internal static partial void Save(ref XSave.XSaveArea area)", "XSave.XSaveInstruction.XSave")]
    public void Without_unsafe_code_a_public_declaration_gets_XSAVE006_alone(string declaration, string instruction)
    {
        // A project that forgot AllowUnsafeBlocks sees the one error that says what to set, not
        // the compiler's CS8795 (no body) and CS0227 (unsafe in generated code) beside it.
        string source = $$"""
            namespace N { public partial class C { [XSave.XSaveThunk({{instruction}})] {{declaration}}; } }
            """;
        Assert.That(GeneratorHarness.Errors(GeneratorHarness.Compile(source, allowUnsafe: false)).Select(e => e.Id), Has.Member("CS8795"), "without the generator the compiler wants a body");
        Single(source, "XSAVE006", allowUnsafe: false);
        var (_, output) = GeneratorHarness.Run(source, allowUnsafe: false);
        Assert.That(GeneratorHarness.Errors(output).Select(e => e.Id), Is.Empty, "the generated stub compiles without unsafe code");
    }

    [Test]
    public void Every_diagnostic_is_recorded_in_the_release_tracking_file()
    {
        string file = System.IO.File.ReadAllText(System.IO.Path.Combine(
            TestContext.CurrentContext.TestDirectory, "..", "..", "..", "..", "XSave.Generators", "AnalyzerReleases.Unshipped.md"));
        string[] ids = typeof(XSave.Generators.XSaveThunkGenerator).Assembly
            .GetType("XSave.Generators.Diagnostics.DiagnosticDescriptors")!
            .GetFields()
            .Select(f => ((DiagnosticDescriptor)f.GetValue(null)!).Id)
            .ToArray();
        Assert.That(ids, Has.Length.EqualTo(9));
        Assert.That(ids, Is.All.Matches<string>(id => file.Contains(id + " |", System.StringComparison.Ordinal)));
    }
}
