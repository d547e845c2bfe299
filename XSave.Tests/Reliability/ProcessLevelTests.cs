namespace XSave.Tests.Reliability;

/// <summary>Checks that need a process of their own (thunks not mapped yet, or a process that ends): run in XSave.Stress.</summary>
[RequiresXSave]
public class ProcessLevelTests
{
    [Test]
    public void Many_threads_racing_the_first_thunk_call_map_exactly_one_page()
    {
        var (values, _) = StressProcess.Run("first-call-race", "--threads", "64");
        Assert.Multiple(() =>
        {
            Assert.That(values["mappings-before"], Is.EqualTo("0"));
            Assert.That(values["mappings-after"], Is.EqualTo("1"));
            Assert.That(values["agree"], Is.EqualTo("True"), "every thread read the same XCR0");
        });
    }

    // Each restore path, with the fields it checks: the area's header and registers, the
    // generated thunk's (PKRU and XCOMP_BV only through Load), the legacy region's control words.
    private static readonly (string Target, string[] Fields)[] RacedFields =
    [
        ("area", ["header", "xstate-bv", "xcomp-bv", "mxcsr", "mxcsr-mask", "fcw", "ftw", "pkru"]),
        ("thunk", ["header", "xstate-bv", "mxcsr", "ftw"]),
        ("legacy", ["mxcsr", "mxcsr-mask", "fcw", "ftw"]),
        ("legacy-thunk", ["mxcsr", "mxcsr-mask", "fcw", "ftw"]),
    ];

    public static System.Collections.Generic.IEnumerable<TestCaseData> Races() =>
        RacedFields.SelectMany(path => path.Fields.Select(field => new TestCaseData(path.Target, field)));

    [TestCaseSource(nameof(Races))]
    public void A_load_racing_a_writer_of_a_checked_field_restores_only_what_it_checked(string target, string field)
    {
        // Checking the caller's bytes and then restoring them again died with SIGSEGV within a
        // second on "header" and loaded the hazard on "mxcsr-mask" and "ftw".
        var (values, lines) = StressProcess.Run("load-race", "--target", target, "--field", field, "--ms", "400");
        if (lines.Count > 0 && lines[0].StartsWith("skipped", System.StringComparison.Ordinal))
        {
            Assert.Ignore(lines[0]);
        }

        Assert.Multiple(() =>
        {
            Assert.That(long.Parse(values["loads"], System.Globalization.CultureInfo.InvariantCulture), Is.Positive, "some loads were accepted");
            Assert.That(long.Parse(values["refused"], System.Globalization.CultureInfo.InvariantCulture), Is.Positive, "some were refused: the writer raced them");
            Assert.That(values["hazards-loaded"], Is.EqualTo("0"));
        });
    }

    [Test]
    public void Two_threads_switching_crosswise_through_the_same_contexts_never_fault()
    {
        var (values, _) = StressProcess.Run("switch-race", "--ms", "400");
        Assert.That(long.Parse(values["switches"], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(1000));
    }

    [Test]
    public void An_allowed_unmasked_SSE_exception_ends_the_process_where_no_catch_block_sees_it()
    {
        // What RestoreHazards.UnmaskedSseExceptions lets happen, as its documentation says: if a
        // later .NET turns the trap into an exception, this fails and the docs change with it.
        var (exitCode, output, errors) = StressProcess.RunToEnd("unmasked-trap");
        Assert.Multiple(() =>
        {
            Assert.That(output, Does.StartWith("loading"), errors);
            Assert.That(output, Does.Not.Contain("caught").And.Not.Contain("no trap"));
            Assert.That(exitCode, Is.Not.Zero);
        });
    }

    [Test]
    public void No_mapping_is_ever_writable_and_executable_around_thunk_initialisation()
    {
        if (!System.OperatingSystem.IsLinux())
        {
            Assert.Ignore("Reads /proc/self/maps, which only Linux has.");
        }

        var (values, _) = StressProcess.Run("wx");
        Assert.Multiple(() =>
        {
            Assert.That(int.Parse(values["scans"], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(2), "scanned before, during and after");
            Assert.That(values["wx-total"], Is.EqualTo("0"), values["offender"]);
            Assert.That(values["thunk-page"], Is.EqualTo("r-xp"));
        });
    }
}
