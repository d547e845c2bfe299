using System.Collections.Generic;
using System.Diagnostics;
using System.IO;

namespace XSave.Tests.Freestanding;

/// <summary>
/// samples/Freestanding/boot.sh picks the accelerator, and only the guest's report is its verdict:
/// run against a stand-in qemu-system-x86_64 on PATH that fails under KVM the ways real nested
/// KVMs did (QEMU aborting on an MSR it cannot set; KVM stopping the firmware with an internal
/// error and QEMU waiting forever) and plays the guest's serial output under either accelerator.
/// </summary>
[NonParallelizable]
public class BootScriptTests
{
    // What the stand-in does: KVM_MODE msr|internal|works, GUEST_UNDER_KVM and GUEST_UNDER_TCG
    // pass|fail|hang|crash; every run's accelerator goes to RUNS.
    private const string FakeQemu = """
        #!/usr/bin/env bash
        for arg; do
            case "$previous" in -accel) accel=$arg ;; -serial) serial=${arg#file:} ;; esac
            previous=$arg
        done
        echo "$accel" >> "$RUNS"
        if [ "$accel" = kvm ]; then
            case "$KVM_MODE" in
                msr) echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
                     echo "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion \`ret == cpu->kvm_msr_buf->nmsrs' failed." >&2
                     exit 134 ;;
                internal) printf 'KVM internal error. Suberror: 1\nextra data[0]: 0x0000000000000001\nemulation failure\n' >&2
                     exec sleep 600 ;;
            esac
            guest=$GUEST_UNDER_KVM
        else
            guest=$GUEST_UNDER_TCG
        fi
        printf 'BdsDxe: starting Boot0002\nXSave freestanding sample: C# compiled by NativeAOT into a UEFI application\n[pass] thunks mapped\n' > "$serial"
        case "$guest" in
            pass) printf 'XSAVE-FREESTANDING: PASS, 22 passed, 0 failed\n' >> "$serial" ;;
            fail) printf '[FAIL] XSAVE shows the new MXCSR\nXSAVE-FREESTANDING: FAIL, 21 passed, 1 failed\n' >> "$serial" ;;
            hang) exec sleep 600 ;;
            crash) exit 1 ;;
        esac
        exit 0
        """;

    private sealed record Boot(int ExitCode, string Output, string[] Runs);

    private static Boot RunBoot(string kvmMode, string guestUnderKvm, string guestUnderTcg, bool kvmDevice = true, string? accel = null, int timeoutSeconds = 3)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new IgnoreException("boot.sh is a bash script for the Linux hosts that run qemu-system-x86_64.");
        }

        string directory = Directory.CreateTempSubdirectory("xsave-boot-").FullName;
        try
        {
            string bin = Path.Combine(directory, "bin");
            Directory.CreateDirectory(bin);
            string qemu = Path.Combine(bin, "qemu-system-x86_64");
            File.WriteAllText(qemu, FakeQemu.Replace("\r\n", "\n") + "\n");
            File.SetUnixFileMode(qemu, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            string image = Path.Combine(directory, "BOOTX64.EFI");
            string firmware = Path.Combine(directory, "OVMF_CODE.fd");
            string kvm = Path.Combine(directory, "kvm");
            string runs = Path.Combine(directory, "runs");
            File.WriteAllBytes(image, new byte[512]);
            File.WriteAllBytes(firmware, new byte[512]);
            if (kvmDevice)
            {
                File.WriteAllBytes(kvm, []);
            }

            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(Path.Combine(Repository.Root, "samples", "Freestanding", "boot.sh"));
            info.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
            info.Environment["XSAVE_BOOT_IMAGE"] = image;
            info.Environment["XSAVE_BOOT_FIRMWARE"] = firmware;
            info.Environment["XSAVE_BOOT_KVM_DEVICE"] = kvm;
            info.Environment["XSAVE_BOOT_TIMEOUT"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            info.Environment["RUNS"] = runs;
            info.Environment["KVM_MODE"] = kvmMode;
            info.Environment["GUEST_UNDER_KVM"] = guestUnderKvm;
            info.Environment["GUEST_UNDER_TCG"] = guestUnderTcg;
            if (accel != null)
            {
                info.Environment["XSAVE_BOOT_ACCEL"] = accel;
            }

            using Process process = Process.Start(info)!;
            var errors = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd() + errors.Result;
            if (!process.WaitForExit(60_000))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("boot.sh did not end within 60 s:\n" + output);
            }

            TestContext.Out.WriteLine(output);
            string[] ran = File.Exists(runs) ? File.ReadAllLines(runs) : [];
            return new Boot(process.ExitCode, output, ran);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void A_KVM_that_aborts_before_the_guest_starts_falls_back_to_TCG_and_says_why()
    {
        Boot boot = RunBoot("msr", "pass", "pass");
        Assert.Multiple(() =>
        {
            Assert.That(boot.ExitCode, Is.Zero);
            Assert.That(boot.Runs, Is.EqualTo(new[] { "kvm", "tcg" }));
            Assert.That(boot.Output, Does.Contain("KVM could not run the guest: QEMU ended with status 134 before the image started (qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69)"));
            Assert.That(boot.Output, Does.Contain("verdict from TCG (-cpu max); KVM was left: "));
        });
    }

    [Test]
    public void A_KVM_internal_error_is_caught_at_once_not_waited_out()
    {
        var clock = Stopwatch.StartNew();
        Boot boot = RunBoot("internal", "pass", "pass", timeoutSeconds: 60);
        Assert.Multiple(() =>
        {
            Assert.That(boot.ExitCode, Is.Zero);
            Assert.That(boot.Runs, Is.EqualTo(new[] { "kvm", "tcg" }));
            Assert.That(boot.Output, Does.Contain("KVM stopped the guest with an internal error (KVM internal error. Suberror: 1)"));
            Assert.That(boot.Output, Does.Contain("verdict from TCG (-cpu max)"));
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "the 60 s guest timeout was waited out");
        });
    }

    [TestCase("msr", "fail")]
    [TestCase("internal", "fail")]
    [TestCase("msr", "hang")]
    [TestCase("msr", "crash")]
    public void A_guest_that_fails_under_TCG_after_the_fallback_fails_the_run(string kvmMode, string guestUnderTcg)
    {
        Boot boot = RunBoot(kvmMode, "pass", guestUnderTcg);
        Assert.Multiple(() =>
        {
            Assert.That(boot.ExitCode, Is.EqualTo(1));
            Assert.That(boot.Runs, Is.EqualTo(new[] { "kvm", "tcg" }));
            Assert.That(boot.Output, Does.Contain("under TCG (-cpu max)"));
        });
    }

    [TestCase("fail", "The guest did not report every step passed under KVM (-cpu host)")]
    [TestCase("hang", "No verdict from the guest under KVM (-cpu host): the image started and did not shut down within 3 s")]
    [TestCase("crash", "No verdict from the guest under KVM (-cpu host): the image started and QEMU ended with status 1")]
    public void A_guest_that_started_under_KVM_is_judged_there_never_retried(string guestUnderKvm, string expected)
    {
        Boot boot = RunBoot("works", guestUnderKvm, "pass");
        Assert.Multiple(() =>
        {
            Assert.That(boot.ExitCode, Is.EqualTo(1));
            Assert.That(boot.Runs, Is.EqualTo(new[] { "kvm" }), "a guest's own failure must not be retried until it passes");
            Assert.That(boot.Output, Does.Contain(expected));
        });
    }

    [Test]
    public void A_working_KVM_gives_the_verdict()
    {
        Boot boot = RunBoot("works", "pass", "fail");
        Assert.Multiple(() =>
        {
            Assert.That(boot.ExitCode, Is.Zero);
            Assert.That(boot.Runs, Is.EqualTo(new[] { "kvm" }));
            Assert.That(boot.Output, Does.Contain("verdict from KVM (-cpu host);"));
        });
    }

    [Test]
    public void Without_a_KVM_device_TCG_runs_and_the_output_says_why()
    {
        Boot boot = RunBoot("works", "fail", "pass", kvmDevice: false);
        Assert.Multiple(() =>
        {
            Assert.That(boot.ExitCode, Is.Zero);
            Assert.That(boot.Runs, Is.EqualTo(new[] { "tcg" }));
            Assert.That(boot.Output, Does.Contain("verdict from TCG (-cpu max); this machine has no "));
        });
    }

    [Test]
    public void A_forced_KVM_is_not_replaced_when_it_fails()
    {
        Boot boot = RunBoot("msr", "pass", "pass", accel: "kvm");
        Assert.Multiple(() =>
        {
            Assert.That(boot.ExitCode, Is.EqualTo(1));
            Assert.That(boot.Runs, Is.EqualTo(new[] { "kvm" }));
            Assert.That(boot.Output, Does.Contain("forced by XSAVE_BOOT_ACCEL=kvm"));
        });
    }

    [Test]
    public void A_forced_TCG_runs_TCG_alone()
    {
        Boot boot = RunBoot("works", "fail", "pass", accel: "tcg");
        Assert.Multiple(() =>
        {
            Assert.That(boot.ExitCode, Is.Zero);
            Assert.That(boot.Runs, Is.EqualTo(new[] { "tcg" }));
        });
    }

    [Test]
    public void An_unknown_accelerator_is_refused()
    {
        Boot boot = RunBoot("works", "pass", "pass", accel: "hvf");
        Assert.Multiple(() =>
        {
            Assert.That(boot.ExitCode, Is.EqualTo(2));
            Assert.That(boot.Runs, Is.Empty);
            Assert.That(boot.Output, Does.Contain("it takes kvm, tcg or auto"));
        });
    }
}
