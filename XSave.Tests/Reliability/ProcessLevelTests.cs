using NUnit.Framework;
using XSave.Tests.Support;

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
