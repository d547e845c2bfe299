using System.IO;
using System.Text.Json;
using XSave.Tool;

namespace XSave.Tests.Tool;

/// <summary>The xsave tool, run in-process: help text, errors, JSON.</summary>
public class CliTests
{
    private static (int Exit, string Output, string Errors) Run(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int exit = Cli.Run(args, output, errors, Style.Plain);
        return (exit, output.ToString(), errors.ToString());
    }

    [TestCase]
    [TestCase("help")]
    [TestCase("--help")]
    [TestCase("-h")]
    public void Help_lists_every_subcommand_and_option(params string[] args)
    {
        var (exit, output, errors) = Run(args);
        Assert.That(exit, Is.Zero);
        Assert.That(errors, Is.Empty);
        Assert.That(output, Does.EndWith("\n"), "a terminal prompt starts on its own line");
        foreach (string text in new[] { "xsave show", "xsave read FILE", "xsave save FILE", "xsave pid PID", "xsave thunks", "--json", "NO_COLOR", "--version" })
        {
            Assert.That(output, Does.Contain(text));
        }
    }

    [TestCase("xsave help", "bogus")]
    [TestCase("usage: xsave read FILE", "read")]
    [TestCase("usage: xsave save FILE", "save")]
    [TestCase("'--jsn'. usage: xsave show", "show", "--jsn")]
    [TestCase("'extra'. usage: xsave show", "show", "extra")]
    [TestCase("'b'. usage: xsave read FILE", "read", "a", "b")]
    [TestCase("'--json'. usage: xsave save FILE", "save", "f", "--json")]
    [TestCase("'me'. usage: xsave help", "help", "me")]
    [TestCase("'abc' is not a process id", "pid", "abc")]
    [TestCase("'0' is not a process id", "pid", "0")]
    public void Unknown_incomplete_or_extra_arguments_exit_2_with_the_usage(string expected, params string[] args)
    {
        var (exit, output, errors) = Run(args);
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(output, Is.Empty);
            Assert.That(errors, Does.Contain(expected));
        });
    }

    [TestCase("show")]
    [TestCase("read")]
    [TestCase("save")]
    [TestCase("thunks")]
    [TestCase("pid")]
    public void Every_command_has_help(string command)
    {
        var (exit, output, errors) = Run(command, "--help");
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.Zero);
            Assert.That(errors, Is.Empty);
            Assert.That(output, Does.Contain($"xsave {command}").And.Contain("Usage:").And.EndWith("\n"));
        });
    }

    [Test]
    public void With_json_an_error_is_a_JSON_object_on_stderr()
    {
        var (exit, output, errors) = Run("read", "/no/such/file", "--json");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        using JsonDocument document = JsonDocument.Parse(errors);
        Assert.Multiple(() =>
        {
            Assert.That(document.RootElement.GetProperty("error").GetString(), Does.Contain("does not exist"));
            Assert.That(document.RootElement.GetProperty("exitCode").GetInt32(), Is.EqualTo(1));
        });
    }

    [Test]
    public void Directories_empty_missing_text_and_ELF_files_each_get_their_own_message()
    {
        string directory = Directory.CreateTempSubdirectory("xsave-cli-").FullName;
        string empty = Path.Combine(directory, "empty"), text = Path.Combine(directory, "passwd"), elf = Path.Combine(directory, "tool");
        File.WriteAllBytes(empty, []);
        File.WriteAllText(text, "root:x:0:0:root:/root:/bin/bash\n" + new string('#', 600));
        File.WriteAllBytes(elf, [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, .. new byte[700]]);
        try
        {
            Assert.Multiple(() =>
            {
                Assert.That(Run("read", directory).Errors, Does.Contain("is a directory"));
                Assert.That(Run("read", empty).Errors, Does.Contain("is empty"));
                Assert.That(Run("read", Path.Combine(directory, "missing")).Errors, Does.Contain("does not exist"));
                Assert.That(Run("read", text).Errors, Does.Contain("look like text"));
                Assert.That(Assert.Throws<InvalidXSaveImageException>(() => XSaveImage.Parse(File.ReadAllBytes(elf)))!.Message, Does.Contain("LinuxCoreFile.ReadThreads"));
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void A_core_without_a_layout_note_and_with_AVX_512_says_its_offsets_are_inferred()
    {
        byte[] image = CoreBuilder.XStateImage(2688, xcr0: 0xE7, xstateBv: 0xE7);
        string path = Path.Combine(Directory.CreateTempSubdirectory("xsave-cli-").FullName, "gcore");
        File.WriteAllBytes(path, new CoreBuilder().Thread(5, image).Build());
        string withNote = Path.Combine(Path.GetDirectoryName(path)!, "kernel");
        File.WriteAllBytes(withNote, new CoreBuilder().Thread(5, image).Layout([(2, 576, 256), (5, 1088, 64), (6, 1152, 512), (7, 1664, 1024)]).Build());
        try
        {
            Assert.Multiple(() =>
            {
                Assert.That(Run("read", path).Output, Does.Contain("no layout note in this core (gdb's gcore writes none)"));
                Assert.That(Run("read", withNote).Output, Does.Not.Contain("no layout note").And.Contain("the kernel's layout note"));
            });
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Test]
    public void Reading_a_core_names_the_kernels_layout_note_as_the_layout_source()
    {
        // A Zen 3 core (PKRU at 2432) read on any machine: the note, not this CPU, places PKRU.
        byte[] image = CoreBuilder.XStateImage(2440, xcr0: 0x207, xstateBv: 0x203);
        System.BitConverter.TryWriteBytes(image.AsSpan(2432), 0x55555554u);
        byte[] core = new CoreBuilder().Thread(77, image).Layout([(2, 576, 256), (9, 2432, 8)]).Build();
        string path = Path.GetTempFileName();
        File.WriteAllBytes(path, core);
        try
        {
            var (exit, output, errors) = Run("read", path);
            Assert.That(exit, Is.Zero, errors);
            Assert.That(output, Does.Contain("NT_X86_XSAVE_LAYOUT").And.Contain("55555554"));

            // Text and JSON come from one report: the same facts, and nothing XCR0 0x207 lacks.
            var (jsonExit, json, jsonErrors) = Run("read", path, "--json");
            Assert.That(jsonExit, Is.Zero, jsonErrors);
            using JsonDocument document = JsonDocument.Parse(json); // one document for the whole core
            Assert.That(document.RootElement.GetProperty("source").GetString(), Is.EqualTo(path));
            Assert.That(document.RootElement.GetProperty("threads").GetArrayLength(), Is.EqualTo(1));
            JsonElement root = document.RootElement.GetProperty("threads")[0];
            Assert.Multiple(() =>
            {
                Assert.That(root.GetProperty("id").GetDouble(), Is.EqualTo(77));
                Assert.That(output, Does.Contain("0x207").And.Not.Contain("ZMM0").And.Not.Contain("AVX-512"));
                Assert.That(root.GetProperty("xcr0").GetString(), Is.EqualTo("0x207"));
                Assert.That(root.GetProperty("pkru").GetString(), Is.EqualTo("0x55555554"));
                Assert.That(root.TryGetProperty("zmm", out _), Is.False);
                Assert.That(root.TryGetProperty("k", out _), Is.False);
                Assert.That(root.GetProperty("layout").GetString(), Does.Contain("NT_X86_XSAVE_LAYOUT"));
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Reading_a_file_that_is_not_an_image_fails_with_the_reason()
    {
        string path = Path.GetTempFileName();
        File.WriteAllBytes(path, new byte[100]);
        try
        {
            var (exit, _, errors) = Run("read", path);
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(errors, Does.Contain("at least 512 bytes"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Thunks_of_an_application_assembly_are_listed_with_full_signatures()
    {
        string tests = typeof(CliTests).Assembly.Location;
        var (exit, output, errors) = Run("thunks", tests);
        Assert.That(exit, Is.Zero, errors);
        Assert.That(output, Does.Contain("XSave.Tests.Hardware.TestThunks.Save(XSave.XSaveArea*, ulong) (XSave)")
            .And.Contain("XSave.Tests.Hardware.TestThunks.SaveFeatures(XSave.XSaveArea*, XSave.XFeatures) (XSave)")
            .And.Contain("xrstor64"));

        var (notAssembly, _, notAssemblyErrors) = Run("thunks", Path.Combine(Repository.Root, "README.md"));
        Assert.That(notAssembly, Is.EqualTo(1));
        Assert.That(notAssemblyErrors, Does.Contain("is not a .NET assembly"));
    }

    [Test]
    public void Thunks_of_an_assembly_are_decoded_from_its_bytes_and_a_patched_byte_shows_and_fails()
    {
        string original = typeof(CliTests).Assembly.Location;
        string patched = Path.Combine(Path.GetTempPath(), $"xsave-patched-{Environment.ProcessId}.dll");
        byte[] image = File.ReadAllBytes(original);
        // The first thunk of this convention's page: mov eax,0A02FFh (the mask); xor edx,edx; xsave64 [rdi or rcx].
        byte[] first = Convert.FromHexString(OperatingSystem.IsWindows() ? "B8FF020A0031D2480FAE21" : "B8FF020A0031D2480FAE27");
        int at = image.AsSpan().IndexOf(first);
        Assert.That(at, Is.Positive, "the page's first thunk is in the file");
        image.AsSpan(at + 1, 4).Fill(0xFF);
        File.WriteAllBytes(patched, image);
        try
        {
            var (exit, output, errors) = Run("thunks", original);
            Assert.That(exit, Is.Zero, errors);
            Assert.That(output, Does.Contain("mov eax,0A02FFh").And.Not.Contain("stored listing says"));
            var (patchedExit, patchedOutput, patchedErrors) = Run("thunks", patched);
            Assert.Multiple(() =>
            {
                Assert.That(patchedExit, Is.EqualTo(1));
                Assert.That(patchedOutput, Does.Contain("B8FFFFFFFF          mov eax,0FFFFFFFFh").And.Contain("the stored listing says: 0000  B8FF020A00          mov eax,0A02FFh"));
                Assert.That(patchedErrors, Does.Contain("1 line(s) of the stored listing differ from the assembly's bytes"));
            });
        }
        finally
        {
            File.Delete(patched);
        }
    }

    [Test]
    public void A_listing_that_disagrees_with_the_bytes_is_shown_beside_what_they_decode_to()
    {
        var output = new StringWriter();
        int differences = ThunkDisassembly.Write([0x90, 0xC3], "0x0000 Fake (XSave)\n  0000  90                  nop\n  0001  CC                  int3\n0x\n", output, Style.Plain);
        Assert.Multiple(() =>
        {
            Assert.That(differences, Is.EqualTo(2), "the int3 line, and a torn line that is no instruction");
            Assert.That(output.ToString(), Does.Contain("  0000  90                  nop\n  0001  C3                  ret\n").And.Contain("the stored listing says: 0001  CC                  int3"));
        });
    }

    [Test]
    public void Corrupt_compressed_data_is_a_one_line_error_naming_the_format()
    {
        string path = Path.GetTempFileName();
        try
        {
            byte[] data = new byte[200];
            new Random(7).NextBytes(data);
            new byte[] { 0x28, 0xB5, 0x2F, 0xFD }.CopyTo(data, 0); // zstd's magic, then noise
            File.WriteAllBytes(path, data);
            var (exit, _, errors) = Run("read", path);
            Assert.That(exit, Is.EqualTo(1));
            Assert.That(errors, Does.StartWith("xsave: The Zstd data is corrupt or truncated").And.Contain("zstd -dc"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Version_is_printed()
    {
        var (exit, output, _) = Run("--version");
        Assert.That(exit, Is.Zero);
        Assert.That(output.Trim(), Is.EqualTo("0.1.0"));
    }

    [Test]
    public void Arguments_come_from_a_response_file_and_commands_complete()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "read\n/no/such/file\n--json\n");
            var (exit, _, errors) = Run("@" + path);
            Assert.That(exit, Is.EqualTo(1), "the response file's command ran");
            Assert.That(errors, Does.Contain("\"exitCode\":1"), "with its --json");
        }
        finally
        {
            File.Delete(path);
        }

        // dotnet-suggest asks through the [suggest] directive.
        var (suggestExit, suggestions, _) = Run("[suggest:8]", "xsave re");
        Assert.That(suggestExit, Is.Zero);
        Assert.That(suggestions.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "read" }));
    }

    [Test]
    [RequiresXSave]
    public void Save_then_read_json_round_trips_through_a_file()
    {
        string path = Path.GetTempFileName();
        try
        {
            Assert.That(Run("save", path).Exit, Is.Zero);
            var (exit, output, errors) = Run("read", path, "--json");
            Assert.That(exit, Is.Zero, errors);
            using JsonDocument document = JsonDocument.Parse(output);
            JsonElement root = document.RootElement;
            Assert.That(root.GetProperty("format").GetString(), Is.EqualTo("Recorded"));
            Assert.That(root.GetProperty("layout").GetString(), Is.EqualTo(XSaveLayout.Current!.Name));
            Assert.That(root.GetProperty("ymm").GetArrayLength(), Is.EqualTo(16));
            Assert.That(root.GetProperty("st").GetArrayLength(), Is.EqualTo(8));
            foreach (string field in new[] { "fcw", "fsw", "ftw", "fop", "fip", "fdp", "mxcsr" })
            {
                Assert.That(root.TryGetProperty(field, out _), field);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    [RequiresXSave]
    public void Show_and_thunks_print_plain_text_when_not_on_a_terminal()
    {
        var (exit, output, _) = Run("show");
        Assert.That(exit, Is.Zero);
        Assert.That(output, Does.Contain("MXCSR").And.Contain("YMM15").And.Not.Contain("\u001b["));
        var (thunksExit, listing, thunksErrors) = Run("thunks");
        Assert.That(thunksExit, Is.Zero, thunksErrors);
        Assert.That(listing, Does.Contain("xrstor64").And.Not.Contain("stored listing says"), "the mapped bytes decode to their listing");
    }

    [Test]
    public void Pid_prints_every_thread_of_a_running_process()
    {
        if (!OperatingSystem.IsLinux() || !XSaveArea.IsSupported)
        {
            Assert.Ignore("Reading another process's state uses Linux's ptrace on x86-64.");
        }

        // An orphan through sh, not a Process child (see TracedThread): a process of two threads would do as well.
        var launch = new System.Diagnostics.ProcessStartInfo("sh", ["-c", "sleep 30 > /dev/null 2>&1 < /dev/null & echo $!"]) { RedirectStandardOutput = true };
        int pid;
        using (var shell = System.Diagnostics.Process.Start(launch)!)
        {
            pid = int.Parse(shell.StandardOutput.ReadToEnd(), System.Globalization.CultureInfo.InvariantCulture);
            shell.WaitForExit();
        }

        try
        {
            var (exit, output, errors) = Run("pid", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (exit == 1 && errors.Contains("EPERM", StringComparison.Ordinal))
            {
                Assert.Ignore($"Tracing is not permitted here: {errors}");
            }

            var (jsonExit, json, _) = Run("pid", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
            Assert.Multiple(() =>
            {
                Assert.That(exit, Is.Zero, errors);
                Assert.That(output, Does.Contain($"process {pid}, thread {pid}"));
                Assert.That(output, Does.Contain("MXCSR"));
                Assert.That(jsonExit, Is.Zero);
                Assert.That(JsonDocument.Parse(json).RootElement.GetProperty("threads")[0].GetProperty("source").GetString(), Is.EqualTo($"process {pid}, thread {pid}"));
                Assert.That(File.ReadAllText($"/proc/{pid}/stat"), Does.Match(@"\) [SR] "), "left running, not stopped");
            });
        }
        finally
        {
            System.Diagnostics.Process.Start("kill", ["-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        }
    }

    [Test]
    public void Pid_reads_a_process_whose_threads_come_and_go_every_time_and_leaves_it_running()
    {
        if (!OperatingSystem.IsLinux() || !XSaveArea.IsSupported)
        {
            Assert.Ignore("Reading another process's state uses Linux's ptrace on x86-64.");
        }

        string stress = Path.Combine(TestContext.CurrentContext.TestDirectory, "XSave.Stress.dll");
        var launch = new System.Diagnostics.ProcessStartInfo("sh", ["-c", $"dotnet '{stress}' churn-threads > /dev/null 2>&1 < /dev/null & echo $!"]) { RedirectStandardOutput = true };
        int pid;
        using (var shell = System.Diagnostics.Process.Start(launch)!)
        {
            pid = int.Parse(shell.StandardOutput.ReadToEnd(), System.Globalization.CultureInfo.InvariantCulture);
            shell.WaitForExit();
        }

        try
        {
            System.Threading.Thread.Sleep(1000); // started, churning
            string id = pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            for (int run = 0; run < 15; run++)
            {
                var (exit, json, errors) = Run("pid", id, "--json");
                if (exit == 1 && errors.Contains("EPERM", StringComparison.Ordinal))
                {
                    Assert.Ignore($"Tracing is not permitted here: {errors}");
                }

                Assert.That(exit, Is.Zero, $"run {run}: {errors}");
                Assert.That(JsonDocument.Parse(json).RootElement.GetProperty("threads").GetArrayLength(), Is.Positive);
            }

            Assert.That(File.ReadAllText($"/proc/{pid}/stat"), Does.Match(@"\) [SR] "), "left running, not stopped");
            Assert.That(System.Linq.Enumerable.Single(File.ReadAllLines($"/proc/{pid}/status"), l => l.StartsWith("TracerPid:", StringComparison.Ordinal)), Does.EndWith("\t0"), "and untraced");
        }
        finally
        {
            System.Diagnostics.Process.Start("kill", ["-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        }
    }

    [TestCase("abc", 2, "is not a process id")]
    [TestCase("-5", 2, "is not a process id")]
    [TestCase("1073741823", 1, "There is no process 1073741823")]
    public void Pid_refuses_what_is_not_a_running_process(string argument, int expectedExit, string message)
    {
        var (exit, _, errors) = Run("pid", argument);
        Assert.Multiple(() =>
        {
            Assert.That(exit, Is.EqualTo(expectedExit));
            Assert.That(errors, Does.Contain(message));
        });
    }
}
