using Microsoft.CodeAnalysis;

namespace XSave.Tests.Generator;

/// <summary>
/// A context's area cannot be written through: every write a user might try is a compile-time
/// error (a silent write to a defensive copy was the alternative), while reads and copies compile.
/// </summary>
public class ReadOnlyContextAreaTests
{
    private static string[] Errors(string statement)
    {
        string source = $"using XSave; static class Use {{ static void M(XSaveContext context) {{ {statement} }} }}";
        return GeneratorHarness.Errors(GeneratorHarness.Compile(source)).Select(d => d.Id).ToArray();
    }

    [TestCase("context.Area.Legacy.Mxcsr = Mxcsr.RoundUp | Mxcsr.AllExceptionMasks;")]
    [TestCase("context.Area.Legacy.SseRounding = RoundingControl.Up;")]
    [TestCase("context.Area.Header.XStateBv = 0;")]
    [TestCase("context.Area.Legacy.Xmm[3] = default;")]
    [TestCase("context.Area.Legacy.St[0] = default;")]
    [TestCase("context.Area.SetYmm(0, default);")]
    [TestCase("context.Area.SetPkru(0);")]
    [TestCase("context.Area.Save();")]
    [TestCase("ref XSaveArea area = ref context.Area;")]
    public void A_write_through_a_contexts_area_does_not_compile(string statement)
    {
        Assert.That(Errors(statement), Is.Not.Empty, statement);
    }

    [TestCase("XSaveArea copy = context.Area; copy.SetPkru(4); copy.Legacy.Xmm[1] = default;")]
    [TestCase("System.Console.WriteLine(context.Area.Legacy.Mxcsr); var x = context.Area.Legacy.Xmm[3]; var y = context.Area.Ymm(2);")]
    [TestCase("byte[] bytes = context.Area.ToArray(); ulong bv = (ulong)context.Area.Header.XStateBv; var z = context.Area.GetComponent(XFeatures.Avx);")]
    public void Reads_and_copies_compile(string statement)
    {
        Assert.That(Errors(statement), Is.Empty, statement);
    }
}
