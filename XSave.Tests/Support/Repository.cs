using System.IO;

namespace XSave.Tests.Support;

/// <summary>The repository the tests were built from: for tests that read its docs, sources and corpus.</summary>
internal static class Repository
{
    /// <summary>The repository's root (the test assembly lies in XSave.Tests/bin/CONFIGURATION/TFM).</summary>
    public static string Root => Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", ".."));
}
