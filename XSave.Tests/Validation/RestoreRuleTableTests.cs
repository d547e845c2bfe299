using System.Collections.Generic;

namespace XSave.Tests.Validation;

/// <summary>
/// The restore rules' table (RestoreChecks' rows): every rule once, each with its waiver and its
/// freestanding status, in the one order the runtime's validator and the freestanding checks walk.
/// </summary>
public class RestoreRuleTableTests
{
    private static unsafe int Walk(RestoreInputs inputs) => RestoreChecks.FirstBroken(&inputs);

    private static RestoreRuleRow[] Rows() => Enumerable.Range(0, RestoreChecks.RuleCount).Select(RestoreChecks.Row).ToArray();

    [Test]
    public void Every_rule_has_one_row()
    {
        Assert.That(Rows().Select(r => (RestoreRule)r.Rule), Is.EquivalentTo(Enum.GetValues<RestoreRule>()));
    }

    [Test]
    public void Exactly_the_hazards_are_waivable_each_by_its_own_flag()
    {
        var waivers = Rows().Where(r => r.Waiver != 0).ToDictionary(r => (RestoreRule)r.Rule, r => (RestoreHazards)r.Waiver);
        Assert.That(waivers, Is.EquivalentTo(new Dictionary<RestoreRule, RestoreHazards>
        {
            [RestoreRule.MxcsrExceptionUnmasked] = RestoreHazards.UnmaskedSseExceptions,
            [RestoreRule.X87ExceptionUnmasked] = RestoreHazards.UnmaskedX87Exceptions,
            [RestoreRule.PkruLocksKeyZero] = RestoreHazards.KeyZeroLocked,
            [RestoreRule.X87RegistersInUse] = RestoreHazards.X87RegistersInUse,
        }));
    }

    [Test]
    public void The_freestanding_statuses_are_the_generators_enum_members()
    {
        var statuses = Rows().Select(r => ((RestoreRule)r.Rule, ((Generators.Freestanding.FreestandingStatus)r.Status).ToString())).ToArray();
        Assert.Multiple(() =>
        {
            foreach (var (rule, status) in statuses)
            {
                Assert.That(status, Does.Not.Match("^[0-9]+$"), $"{rule}: its status is a member of XSaveStatus");
            }

            Assert.That(statuses.Where(s => s.Item2 == "InvalidHeader").Select(s => s.Item1), Is.EquivalentTo(new[]
            {
                RestoreRule.XStateBvOutsideXcr0, RestoreRule.XCompBvInStandardFormat, RestoreRule.CompactedFormatUnsupported, RestoreRule.XCompBvOutsideXcr0,
                RestoreRule.XStateBvOutsideXCompBv, RestoreRule.XCompBvOutsidePage, RestoreRule.HeaderReservedBytes, RestoreRule.LayoutMismatch,
            }));
        });
    }

    [Test]
    public void The_walk_reports_the_first_broken_rule_in_table_order_and_skips_waived_ones()
    {
        // An area breaking three rules at once: MXCSR reserved bit, x87 exception unmasked, x87 stack in use.
        var inputs = new RestoreInputs
        {
            XStateBv = 3,
            Xcr0 = 3,
            Restored = 3,
            InPage = 3,
            ReservedByteSet = -1,
            LayoutMismatch = -1,
            Mxcsr = 0x1F80 | 0x10000,
            MxcsrMask = 0xFFFF,
            Fcw = 0x37E,
            AbridgedFtw = 1,
        };
        Assert.Multiple(() =>
        {
            Assert.That((RestoreRule)RestoreChecks.Row(Walk(inputs)).Rule, Is.EqualTo(RestoreRule.MxcsrReservedBits));
            inputs.Mxcsr = 0x1F80;
            Assert.That((RestoreRule)RestoreChecks.Row(Walk(inputs)).Rule, Is.EqualTo(RestoreRule.X87ExceptionUnmasked));
            inputs.Allowed = (uint)RestoreHazards.UnmaskedX87Exceptions;
            Assert.That((RestoreRule)RestoreChecks.Row(Walk(inputs)).Rule, Is.EqualTo(RestoreRule.X87RegistersInUse));
            inputs.Allowed |= (uint)RestoreHazards.X87RegistersInUse;
            Assert.That(Walk(inputs), Is.EqualTo(-1));
        });
    }
}
