using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace XSave.Stress;

/// <summary>
/// Runs fuzz cases and prints one line per case. "R i" is printed (and flushed) before case i
/// can reach XRSTOR, so if the process dies the driver knows which case killed it.
/// </summary>
internal static unsafe class FuzzWorker
{
    public static int Run(Options options)
    {
        long start = options.Number("start", 0), count = options.Number("count", 1000), seed = options.Number("seed", 1);
        using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
        var context = FuzzContext.Create();
        bool raw = options.Number("raw", 0) != 0;
        s_saveCorpus = options.Text("save-corpus");

        if (start == 0 && options.Text("corpus") is { } corpus && Directory.Exists(corpus))
        {
            foreach (string file in Directory.GetFiles(corpus, "*.bin").Order(StringComparer.Ordinal))
            {
                XSaveArea area = default;
                File.ReadAllBytes(file).AsSpan(0, XSaveArea.Size).CopyTo(area.AsSpan());
                Dispatch(context, raw, $"corpus:{Path.GetFileNameWithoutExtension(file)}", ref area, output);
            }
        }

        for (long i = start; i < start + count; i++)
        {
            XSaveArea area = default;
            Mutator.Build(seed, i, context.Seeds, context.Cpu, ref area);
            if (!raw)
            {
                string parsed = ParserFuzz.Run(seed, i, area);
                output.WriteLine(parsed.StartsWith("BUG", StringComparison.Ordinal) ? $"MISMATCH {i} parser {parsed}" : $"PARSE {i} {parsed}");
            }

            Dispatch(context, raw, i.ToString(System.Globalization.CultureInfo.InvariantCulture), ref area, output);
        }

        output.WriteLine("DONE");
        output.Flush();
        return 0;
    }

    private static string? s_saveCorpus;
    private static readonly System.Collections.Generic.HashSet<string> s_saved = [];

    /// <summary>With --save-corpus, keeps the first case of each outcome as a 4096-byte file.</summary>
    private static void Keep(string outcome, string id, in XSaveArea area)
    {
        if (s_saveCorpus is not null && s_saved.Add(outcome) && !id.StartsWith("corpus:", StringComparison.Ordinal))
        {
            File.WriteAllBytes(Path.Combine(s_saveCorpus, $"{outcome}-case{id}.bin"), area.AsReadOnlySpan().ToArray());
        }
    }

    private static void Dispatch(FuzzContext context, bool raw, string id, ref XSaveArea area, StreamWriter output)
    {
        if (raw)
        {
            RunRaw(context, id, ref area, output);
        }
        else
        {
            RunCase(context, id, ref area, output);
        }
    }

    /// <summary>
    /// The validator's oracle: skip validation and hand the case to XRSTOR as it is, after
    /// printing what the validator would have said. A case it rejects is expected to kill us.
    /// </summary>
    private static void RunRaw(FuzzContext context, string id, ref XSaveArea area, StreamWriter output)
    {
        string verdict = "valid";
        try
        {
            RestoreValidation.ThrowIfInvalid(in area, XSaveArea.SafeFeatures, context.Cpu, RestoreHazards.None);
        }
        catch (InvalidXSaveAreaException rejected)
        {
            verdict = rejected.Rule.ToString();
        }

        output.WriteLine($"R {id} {verdict}");
        output.Flush();
        *context.Scratch = area;
        RoundTripCode.Run(context.Scratch, context.Output, context.Good);
        output.WriteLine($"RAWOK {id} {verdict}");
    }

    private static void RunCase(FuzzContext context, string id, ref XSaveArea area, StreamWriter output)
    {
        XSaveArea before = area;
        try
        {
            // Load gives unset (zero) control words their init values first: judge what it loads.
            XSaveArea loaded = WithInitControlWords(area);
            RestoreValidation.ThrowIfInvalid(in loaded, XSaveArea.SafeFeatures, context.Cpu, RestoreHazards.None);
        }
        catch (InvalidXSaveAreaException rejected)
        {
            // Load must reject it the same way, and say which field and rule.
            XSaveArea[] held = [area];
            var viaLoad = Assert.Throws<InvalidXSaveAreaException>(() => held[0].Load());
            string verdict = viaLoad.Rule != rejected.Rule ? $"MISMATCH {id} Load rule {viaLoad.Rule} vs {rejected.Rule}"
                : !rejected.Message.Contains(rejected.Field, StringComparison.Ordinal) ? $"BADMSG {id} {rejected.Rule}"
                : !held[0].AsReadOnlySpan().SequenceEqual(before.AsReadOnlySpan()) ? $"MISMATCH {id} area modified"
                : $"REJ {id} {rejected.Rule}";
            output.WriteLine(verdict);
            Keep(rejected.Rule.ToString(), id, before);
            return;
        }

        output.WriteLine($"R {id}");
        output.Flush();

        // 1. The hardware's own round trip, with no managed code on the fuzzed state.
        XSaveArea* aligned = context.Scratch;
        *aligned = area;
        RoundTripCode.Run(aligned, context.Output, context.Good);
        string? difference = EffectiveState.Of(area, XSaveArea.SafeFeatures).FirstDifference(EffectiveState.Of(*context.Output, XSaveArea.SafeFeatures));

        // 2. The product path: Load, Save, put the good state back at once.
        XSaveArea check = default;
        area.Load();
        check.Save();
        context.Good->LoadUnchecked();
        EffectiveState expected = EffectiveState.Of(WithInitControlWords(area), XSaveArea.SafeFeatures);
        EffectiveState got = EffectiveState.Of(check, XSaveArea.SafeFeatures);
        difference ??= expected.Fcw != got.Fcw || expected.Mxcsr != got.Mxcsr || expected.St != got.St
            ? $"Load/Save FCW {expected.Fcw:X4}/{got.Fcw:X4} MXCSR {expected.Mxcsr:X8}/{got.Mxcsr:X8}"
            : null;
        if (!area.AsReadOnlySpan().SequenceEqual(before.AsReadOnlySpan()))
        {
            difference ??= "Load modified the area";
        }

        // What the thread held after an accepted Load: every exception masked, key 0 open.
        difference ??= Unsurvivable(check, context.Cpu);

        Keep(area.Header.IsCompacted ? "loaded-compacted" : area.Legacy.HasUnsetControlWords ? "loaded-unset-control-words" : "loaded-standard", id, before);
        output.WriteLine(difference is null ? $"OK {id}" : $"MISMATCH {id} {difference} (XSTATE_BV 0x{(ulong)area.Header.XStateBv:X} XCOMP_BV 0x{area.Header.XCompBv:X} FCW 0x{(ushort)area.Legacy.Fcw:X4} MXCSR_MASK 0x{(uint)area.Legacy.MxcsrMask:X})");
    }

    /// <summary>Why the thread could not have run on in <paramref name="saved"/> (as XSAVE wrote it), or null.</summary>
    private static string? Unsurvivable(in XSaveArea saved, CpuProfile cpu)
    {
        uint mxcsr = (uint)saved.Legacy.Mxcsr, fcw = (uint)saved.Legacy.Fcw;
        uint pkru = cpu.Xcr0.HasFlag(XFeatures.Pkru) ? saved.Pkru : 0;
        return (mxcsr & 0x1F80) != 0x1F80 ? $"UNSAFE MXCSR {mxcsr:X8} unmasks an exception"
            : (fcw & 0x3F) != 0x3F ? $"UNSAFE FCW {fcw:X4} unmasks an exception"
            : (pkru & 3) != 0 ? $"UNSAFE PKRU {pkru:X8} locks key 0"
            : null;
    }

    private static XSaveArea WithInitControlWords(XSaveArea area)
    {
        area.Legacy.ApplyInitControlWords();
        return area;
    }

    /// <summary>Minimal assertion helper: no test framework in a child process.</summary>
    private static class Assert
    {
        public static T Throws<T>(Action action)
            where T : Exception
        {
            try
            {
                action();
            }
            catch (T expected)
            {
                return expected;
            }

            throw new InvalidOperationException($"Expected {typeof(T).Name}.");
        }
    }
}

/// <summary>What every case needs: the CPU's rules, seed areas, aligned buffers.</summary>
internal sealed unsafe class FuzzContext
{
    public required CpuProfile Cpu { get; init; }
    public XFeatures Xcr0 => Cpu.Xcr0;
    public required XSaveArea[] Seeds { get; init; }
    public required XSaveArea* Scratch { get; init; }
    public required XSaveArea* Output { get; init; }
    public required XSaveArea* Good { get; init; }

    public static FuzzContext Create()
    {
        var pages = (XSaveArea*)NativeMemory.AlignedAlloc(3 * XSaveArea.Size, XSaveArea.Alignment);
        pages[2].Save();

        // Compile the product path now: the raw oracle may leave SSE exceptions unmasked, and
        // the JIT compiling Save on its first call after a restore does floating-point work: it
        // would trap (SIGFPE). docs/reliability.md.
        XSaveArea warm = default;
        pages[2].Load();
        warm.Save();
        pages[2].LoadUnchecked();
        XSaveArea[] seeds = [pages[2], XSaveArea.Initial, default];
        if (Processor.Profile.HasXSaveC)
        {
            StressThunks.SaveCompacted(&pages[0]);
            seeds = [.. seeds, pages[0]];
        }

        return new FuzzContext
        {
            Cpu = Processor.Profile,
            Seeds = seeds,
            Scratch = &pages[0],
            Output = &pages[1],
            Good = &pages[2],
        };
    }
}
