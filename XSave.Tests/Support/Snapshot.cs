using System.IO;
using System.Runtime.CompilerServices;

namespace XSave.Tests.Support;

/// <summary>
/// Snapshot files with Verify's conventions, so moving to Verify.SourceGenerators is a rename:
/// <c>Snapshots/{Class}.{Test}.verified.cs</c> beside the test, first line <c>//HintName: …</c>;
/// on a mismatch <c>*.received.cs</c> is written next to it and the test fails with the first
/// differing line. Set XSAVE_ACCEPT_SNAPSHOTS=1 to accept the received text.
/// </summary>
internal static class Snapshot
{
    public static void Match(string hintName, string actual, [CallerFilePath] string testFile = "", [CallerMemberName] string test = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots");
        string stem = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(testFile)}.{test}");
        string verifiedPath = stem + ".verified.cs";
        string receivedPath = stem + ".received.cs";
        string received = $"//HintName: {hintName}\n{actual.Replace("\r\n", "\n", StringComparison.Ordinal)}";

        string? verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).Replace("\r\n", "\n", StringComparison.Ordinal) : null;
        if (verified == received)
        {
            File.Delete(receivedPath);
            return;
        }

        if (Environment.GetEnvironmentVariable("XSAVE_ACCEPT_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, received);
            File.Delete(receivedPath);
            return;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(receivedPath, received);
        Assert.Fail(verified is null
            ? $"No snapshot yet: review {receivedPath} and rename it to {Path.GetFileName(verifiedPath)}."
            : $"Snapshot differs; received text written to {receivedPath}.\n{FirstDifference(verified, received)}");
    }

    private static string FirstDifference(string expected, string actual)
    {
        string[] e = expected.Split('\n'), a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string left = i < e.Length ? e[i] : "<end of file>", right = i < a.Length ? a[i] : "<end of file>";
            if (left != right)
            {
                return $"line {i + 1}:\n- {left}\n+ {right}";
            }
        }

        return "(line endings only)";
    }
}
