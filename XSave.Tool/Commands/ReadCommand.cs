using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace XSave.Tool;

/// <summary>xsave read FILE: a saved area, an XSAVE image, a Linux core or a minidump, told by content.</summary>
internal static class ReadCommand
{
    // What FILE is, by its content: an ELF core, a minidump or an XSAVE image; a refusal names the file and that.
    public static int Run(string path, TextWriter output, Style style, bool json)
    {
        using DumpInput input = DumpInput.Open(path);
        try
        {
            if (input.Format == DumpFormat.ElfCore)
            {
                // A core is read by its headers and notes alone (it can be tens of gigabytes).
                var reports = new List<Report>();
                foreach (LinuxCoreFile.ThreadState thread in LinuxCoreFile.ReadThreads(input.Stream))
                {
                    var facts = new ThreadFacts(thread.ThreadId, thread.Signal) { Notes = CoreNotes(thread.State) };
                    reports.Add(Report.Of(thread.State.Area, $"{path}, thread {thread.ThreadId}", thread.State.Xcr0, thread.State, facts));
                }

                ReportOutput.DescribeThreads(output, style, json, [("source", path), ("format", "ELF core"), ("arch", "x64"), ("compression", input.Compression.ToString())], reports);
                return 0;
            }

            if (input.Format == DumpFormat.Minidump)
            {
                // A minidump is read by its directory, streams and contexts alone (a full one holds the process's memory).
                Minidump dump = MinidumpFile.Read(input.Stream);
                var reports = dump.Threads.Select(thread => MinidumpReport.Of(path, dump, thread)).ToList();
                ReportOutput.DescribeThreads(output, style, json, [("source", path), ("format", "minidump"), ("arch", dump.ArchitectureName), ("compression", input.Compression.ToString())], reports);
                return 0;
            }

            byte[] bytes = input.ReadAll(XSaveImage.LargestImage);
            if (bytes.Length == 0)
            {
                throw new IOException($"'{path}' is empty; an XSAVE image is at least 512 bytes.");
            }

            XSaveImage image = XSaveImage.Parse(bytes);
            // FXRSTOR and XRSTOR refuse an MXCSR with bits outside MXCSR_MASK (at most 0xFFFF), so
            // no thread ever held one and no save wrote these bytes: not a state to show.
            if ((uint)image.Area.Legacy.Mxcsr > 0xFFFF)
            {
                throw new InvalidXSaveImageException("MXCSR", $"MXCSR at byte 24 reads 0x{(uint)image.Area.Legacy.Mxcsr:X8}: bits 16–31 are reserved on every CPU, so no XSAVE or FXSAVE wrote these bytes.");
            }

            ReportOutput.Describe(output, style, json, image, path);
            return 0;
        }
        catch (InvalidXSaveImageException e)
        {
            throw new InvalidXSaveImageException(e.Field, $"{path} ({input.Kind}): {e.Message}");
        }
        catch (IOException e) when (!e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new IOException($"{path} ({input.Kind}): {e.Message}", e);
        }
    }

    // A core without the kernel's layout note (gdb's gcore writes none) is read in the offsets its
    // XCR0 and size imply; gdb 13 rebuilds AVX-512 state in Intel's offsets even on AMD CPUs.
    private static List<ReportItem> CoreNotes(XSaveImage state) =>
        state.LayoutSource is LayoutSource.KernelNote or LayoutSource.LegacyRegionOnly || ((state.Xcr0 ?? XFeatures.None) & (XFeatures.Avx512Opmask | XFeatures.Avx512ZmmHi256 | XFeatures.Avx512Hi16Zmm)) == 0
            ? []
            : [new("caution", "no layout note in this core (gdb's gcore writes none): AVX-512 is shown in the offsets its XCR0 and size imply; gdb 13 rebuilds it in Intel's offsets even on AMD CPUs, where its values come out wrong (docs/layouts.md)", "layoutCaution", true)];
}
