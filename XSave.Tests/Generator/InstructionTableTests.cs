using GeneratedInstruction = XSave.Generators.Shared.XSaveInstruction;
using GeneratorForms = XSave.Generators.Shared.ThunkForms;
using GeneratorTable = XSave.Generators.Shared.InstructionTable;

namespace XSave.Tests.Generator;

/// <summary>
/// The instruction table, as the generator and the runtime each compile it: a row per
/// instruction, in the enum's order, with what each form needs to say about it.
/// </summary>
public class InstructionTableTests
{
    [Test]
    public void The_generators_table_has_a_row_per_instruction_in_order()
    {
        GeneratedInstruction[] instructions = Enum.GetValues<GeneratedInstruction>();
        Assert.That(GeneratorTable.All.Select(row => row.Instruction), Is.EqualTo(instructions));
        Assert.That(instructions.Select(i => (int)i), Is.EqualTo(Enumerable.Range(0, instructions.Length)), "numbers without gaps: a row's index is its instruction");
    }

    [Test]
    public void The_runtimes_table_has_a_row_per_public_instruction_in_order()
    {
        Assert.That(InstructionTable.All.Select(row => row.Instruction), Is.EqualTo(Enum.GetValues<XSaveInstruction>()));
    }

    [Test]
    public void The_two_copies_agree_on_every_row_both_have()
    {
        var runtime = InstructionTable.All.Select(r => $"{r.Instruction} {r.Text} {r.Shape} {r.Requires} {r.Access} {r.Alignment} {r.Forms} {r.RuntimeSignature}");
        var generator = GeneratorTable.All.Take(InstructionTable.All.Count).Select(r => $"{r.Instruction} {r.Text} {r.Shape} {r.Requires} {r.Access} {r.Alignment} {r.Forms} {r.RuntimeSignature}");
        Assert.That(runtime, Is.EqualTo(generator));
    }

    [Test]
    public void Every_form_a_row_allows_has_its_signature_text()
    {
        Assert.Multiple(() =>
        {
            foreach (var row in GeneratorTable.All)
            {
                Assert.That(row.Text, Is.Not.Empty, $"{row.Instruction}: its name in messages");
                bool runtime = (row.Forms & (GeneratorForms.Runtime | GeneratorForms.RuntimeItself)) != 0;
                Assert.That(row.RuntimeSignature.Length > 0, Is.EqualTo(runtime), $"{row.Instruction}: a runtime signature exactly where a runtime form exists");
                Assert.That(row.FreestandingSignature.Length > 0, Is.EqualTo(!row.IsRuntimeRoutine), $"{row.Instruction}: what XSAVE003 says in a freestanding project (the runtime's routines have none)");
                Assert.That(row.IsPrivileged, Is.EqualTo(row.Forms == GeneratorForms.Freestanding), $"{row.Instruction}: only the freestanding form runs at CPL 0");
            }
        });
    }
}
