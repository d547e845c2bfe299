using System.IO;

namespace XSave.Tests.Reliability;

/// <summary>
/// Restore fuzzing in child processes, so that a #GP is counted instead of ending the test run.
/// The normal run takes a quick slice; XSAVE_FUZZ_CASES (set by .ci/run) makes it long.
/// </summary>
[RequiresXSave]
public class RestoreFuzzTests
{
    private static string Corpus => Path.Combine(Repository.Root, "XSave.Tests", "Stress", "Corpus");

    private static long Cases => long.TryParse(Environment.GetEnvironmentVariable("XSAVE_FUZZ_CASES"), out long n) ? n : 20_000;

    [Test]
    public void Every_case_either_loads_and_resaves_equal_or_is_rejected_by_a_named_rule()
    {
        var (values, lines) = StressProcess.Run("fuzz", "--cases", Cases.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", "20261126", "--corpus", Corpus);
        string[] outcomes = lines.Where(l => l.StartsWith("outcome ", StringComparison.Ordinal)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(long.Parse(values["cases"], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(Cases));
            Assert.That(values["crashes"], Is.EqualTo("0"), "no case may kill the process");
            Assert.That(values["mismatches"], Is.EqualTo("0"), "every loaded case re-saves to the same registers");
            Assert.That(values["corpus-cases"], Is.Not.EqualTo("0"), "the checked-in corpus was replayed");
            Assert.That(outcomes, Has.Some.Contains("loaded and re-saved equal"));
            Assert.That(outcomes, Has.Some.Contains("image parse ok"), "truncated/oversized/random images handed to XSaveImage.Parse");
            Assert.That(outcomes, Has.Some.Contains("image parse rejected:length"));
            foreach (RestoreRule rule in RulesThisCpuReaches())
            {
                Assert.That(outcomes, Has.Some.EndsWith("rejected: " + rule), $"{rule} was exercised");
            }
        });
    }

    [Test]
    public void Handed_to_XRSTOR_unvalidated_no_case_the_validator_accepts_faults()
    {
        // The validator's oracle: the same mutations straight into XRSTOR. Rejected cases may
        // kill the worker (that is the point of validating); accepted ones never may.
        var (values, lines) = StressProcess.Run("fuzz", "--cases", "150", "--seed", "3", "--raw", "1");
        Assert.Multiple(() =>
        {
            Assert.That(values["crashes"], Is.EqualTo("0"));
            Assert.That(lines, Has.None.Contains("raw XRSTOR faulted: valid"));
            Assert.That(lines, Has.Some.Contains("raw XRSTOR survived: valid"));
            Assert.That(lines, Has.Some.Contains("raw XRSTOR faulted:"), "faults are counted, not fatal");
        });
    }

    [Test]
    public void The_corpus_holds_a_case_for_every_reachable_rule()
    {
        string[] names = Directory.GetFiles(Corpus, "*.bin").Select(Path.GetFileNameWithoutExtension).ToArray()!;
        foreach (RestoreRule rule in RulesWithACorpusCase())
        {
            Assert.That(names, Has.Some.StartsWith(rule.ToString()), rule.ToString());
        }

        Assert.That(Directory.GetFiles(Corpus, "*.bin").Select(f => new FileInfo(f).Length), Is.All.EqualTo(XSaveArea.Size));
    }

    // Two rules need a CPU none of the corpus cases can assume: no XSAVEC, or AMX enabled. The
    // PKRU case is a compacted area that reaches its rule where PKRU and XSAVEC are enabled.
    private static RestoreRule[] RulesWithACorpusCase() => Enum.GetValues<RestoreRule>()
        .Where(r => r is not (RestoreRule.CompactedFormatUnsupported or RestoreRule.XCompBvOutsidePage))
        .ToArray();

    /// <summary>The rules the fuzzer can break on this CPU: PKRU only where it is enabled, the compacted-format refusal only without XSAVEC.</summary>
    private static RestoreRule[] RulesThisCpuReaches() => Enum.GetValues<RestoreRule>()
        .Where(r => r switch
        {
            RestoreRule.CompactedFormatUnsupported => !Processor.Profile.HasXSaveC,
            RestoreRule.XCompBvOutsidePage => false, // needs AMX tile data in XCR0; checked offline
            RestoreRule.PkruLocksKeyZero => XSaveArea.EnabledFeatures.HasFlag(XFeatures.Pkru),
            RestoreRule.XCompBvOutsideXcr0 or RestoreRule.XStateBvOutsideXCompBv => Processor.Profile.HasXSaveC,
            _ => true,
        })
        .ToArray();
}
