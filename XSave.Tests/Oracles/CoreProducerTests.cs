using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using XSave.Tool;

namespace XSave.Tests.Oracles;

/// <summary>
/// Cores as users bring them: .NET's own createdump of a running .NET process (NT_PRFPREG only),
/// the same core compressed by the zstd and xz command lines and handed over through a pipe, and
/// a 64 GB core compressed with zstd.
/// </summary>
[RequiresXSave]
[NonParallelizable]
public class CoreProducerTests
{
    private const uint HeldMxcsr = 0x5F80; // as XSave.Stress hold-state loads them
    private const ushort HeldFcw = 0x0A7F;
    private static string? s_core;
    private static int[] s_held = [];
    private static string s_directory = string.Empty;

    [OneTimeSetUp]
    public void DumpAProcessHoldingKnownValues()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("createdump writes ELF cores on Linux.");
        }

        string createdump = Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "createdump");
        if (!File.Exists(createdump))
        {
            Assert.Ignore($"This runtime has no createdump ({createdump}).");
        }

        s_directory = Directory.CreateTempSubdirectory("xsave-producers-").FullName;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "XSave.Stress.dll"));
        info.ArgumentList.Add("hold-state");
        info.ArgumentList.Add("--threads");
        info.ArgumentList.Add("3");
        using Process holder = Process.Start(info)!;
        try
        {
            var held = new List<int>();
            for (string? line = holder.StandardOutput.ReadLine(); line is not null and not "ready"; line = holder.StandardOutput.ReadLine())
            {
                held.Add(int.Parse(line["thread ".Length..], System.Globalization.CultureInfo.InvariantCulture));
            }

            s_held = [.. held];
            string core = Path.Combine(s_directory, "dotnet.core");
            var (exit, _, errors) = OracleProgram.Run(createdump, [], "-f", core, holder.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (exit != 0 || !File.Exists(core))
            {
                Assert.Ignore($"createdump could not dump the process (exit {exit}): {errors}");
            }

            s_core = core;
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
    }

    [OneTimeTearDown]
    public void RemoveTheCores()
    {
        if (s_directory.Length > 0)
        {
            Directory.Delete(s_directory, recursive: true);
        }
    }

    [Test]
    public void A_createdump_core_holds_every_threads_legacy_state_with_its_id()
    {
        var threads = LinuxCoreFile.ReadThreads(s_core!);
        Assert.Multiple(() =>
        {
            Assert.That(threads, Has.Count.GreaterThan(s_held.Length), "the runtime's threads too");
            Assert.That(threads.All(t => t.IsLegacyOnly), "createdump writes NT_PRFPREG, no NT_X86_XSTATE");
            foreach (int id in s_held)
            {
                LinuxCoreFile.ThreadState thread = threads.Single(t => t.ThreadId == id);
                Assert.That((uint)thread.State.Area.Legacy.Mxcsr & ~0x3Fu, Is.EqualTo(HeldMxcsr), $"thread {id}'s MXCSR");
                Assert.That((ushort)thread.State.Area.Legacy.Fcw, Is.EqualTo(HeldFcw), $"thread {id}'s FCW");
            }
        });
    }

    [Test]
    public void The_tool_shows_a_createdump_core_as_one_document_that_says_no_AVX_state_was_recorded()
    {
        var (exit, json, errors) = Run("read", s_core!, "--json");
        Assert.That(exit, Is.Zero, errors);
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement[] threads = [.. document.RootElement.GetProperty("threads").EnumerateArray()];
        var (textExit, text, _) = Run("read", s_core!);
        Assert.Multiple(() =>
        {
            Assert.That(threads.Select(t => (int)t.GetProperty("id").GetDouble()), Is.SupersetOf(s_held));
            Assert.That(threads.All(t => t.GetProperty("legacyOnly").GetBoolean()));
            Assert.That(textExit, Is.Zero);
            Assert.That(text, Does.Contain("the producer recorded no AVX or later state").And.Contain($"thread                           {s_held[0]}"));
            Assert.That(text, Does.Not.Contain("YMM0"), "nothing shown that was not recorded");
        });
    }

    [TestCase("zstd", "-q", "-1", "-c")]
    [TestCase("xz", "-0", "-T0", "-c")]
    public void A_core_compressed_by_the_command_line_reads_like_the_plain_one_from_a_file_and_a_pipe(string compressor, params string[] arguments)
    {
        string compressed = Path.Combine(s_directory, "dotnet.core." + compressor);
        var (exit, bytes, errors) = OracleProgram.Run("sh", [], "-c", $"{compressor} {string.Join(' ', arguments)} '{s_core}'");
        if (exit == 127)
        {
            Assert.Ignore($"{compressor} is not installed: {errors}");
        }

        File.WriteAllBytes(compressed, bytes);
        string plain = Run("read", s_core!, "--json").Output;
        var (fileExit, fromFile, fileErrors) = Run("read", compressed, "--json");
        string fifo = Path.Combine(s_directory, "pipe-" + compressor);
        Assert.That(OracleProgram.Run("mkfifo", [], fifo).Exit, Is.Zero);
        using Process writer = Process.Start("sh", ["-c", $"cat '{compressed}' > '{fifo}'"]);
        var (pipeExit, fromPipe, pipeErrors) = Run("read", fifo, "--json");
        Assert.That(writer.WaitForExit(30_000), "the writer ended: the reader closed its end");
        Assert.Multiple(() =>
        {
            Assert.That(fileExit, Is.Zero, fileErrors);
            Assert.That(pipeExit, Is.Zero, pipeErrors);
            Assert.That(Threads(fromFile), Is.EqualTo(Threads(plain)), "the same threads and values from the compressed file");
            Assert.That(Threads(fromPipe), Is.EqualTo(Threads(plain)), "and through a pipe");
            Assert.That(JsonDocument.Parse(fromFile).RootElement.GetProperty("compression").GetString(), Is.EqualTo(compressor == "zstd" ? "Zstd" : "Xz"));
        });
    }

    [Test]
    public void A_64_GB_core_compressed_with_zstd_is_read_from_its_notes_in_bounded_memory()
    {
        // A kernel-style core (notes first) followed by 64 GiB of memory segments, as zstd frames:
        // the notes' frame, then one frame of 1 GiB of zeros 64 times (frames concatenate).
        byte[] image = CoreBuilder.XStateImage(832, xcr0: 0x7, xstateBv: 0x7);
        BitConverter.TryWriteBytes(image.AsSpan(24), 0x3F80u);
        byte[] notes = new CoreBuilder().Thread(31337, image).Build();
        string core = Path.Combine(s_directory, "sparse.core.zst");
        var (notesExit, notesFrame, notesErrors) = OracleProgram.Run("zstd", notes, "-q", "-c");
        var (zerosExit, zerosFrame, _) = OracleProgram.Run("sh", [], "-c", "head -c 1073741824 /dev/zero | zstd -q -1 -c");
        if (notesExit == 127 || zerosExit != 0)
        {
            Assert.Ignore($"zstd is not usable here: {notesErrors}");
        }

        using (FileStream file = File.Create(core))
        {
            file.Write(notesFrame);
            for (int i = 0; i < 64; i++)
            {
                file.Write(zerosFrame);
            }
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var (exit, json, errors) = Run("read", core, "--json");
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Out.WriteLine($"{new FileInfo(core).Length} bytes compressed, 64 GiB + {notes.Length} plain: {clock.ElapsedMilliseconds} ms, {allocated >> 20} MiB allocated");
        Assert.That(exit, Is.Zero, errors);
        JsonElement thread = JsonDocument.Parse(json).RootElement.GetProperty("threads")[0];
        Assert.Multiple(() =>
        {
            Assert.That(thread.GetProperty("id").GetDouble(), Is.EqualTo(31337));
            Assert.That(thread.GetProperty("mxcsr").GetString(), Is.EqualTo("0x3F80"));
            Assert.That(allocated, Is.LessThan(64L << 20), "memory bounded by the notes, not by the 64 GiB after them");
        });
    }

    private static (int Exit, string Output, string Errors) Run(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int exit = Cli.Run(args, output, errors, Style.Plain);
        return (exit, output.ToString(), errors.ToString());
    }

    // Each thread's id and state, without where they came from.
    private static string[] Threads(string json) =>
        [.. JsonDocument.Parse(json).RootElement.GetProperty("threads").EnumerateArray()
            .Select(t => $"{t.GetProperty("id")} {t.GetProperty("mxcsr")} {t.GetProperty("fcw")} {t.GetProperty("xmm")}")];
}
