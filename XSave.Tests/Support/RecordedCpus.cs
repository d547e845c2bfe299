using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace XSave.Tests.Support;

/// <summary>
/// CPUID leaf 0DH of about a hundred real processors (Data/cpu-profiles.tsv, from public CPUID
/// dumps), so each decision the library takes from a CPU is tested on CPUs nobody at hand has.
/// </summary>
public sealed record RecordedCpu(string Name, string Vendor, XFeatures Supported, int StandardSizeAll, IReadOnlyDictionary<int, (int Offset, int Size, bool Aligned64)> Components, bool Sane)
{
    /// <summary>What Linux enables of it: the user components it knows (LWP, bit 62, it never enables).</summary>
    public XFeatures Xcr0 => Supported & (XSaveArea.SafeFeatures | XFeatures.AmxTileData);

    /// <summary>True when the CPU can run XSAVE at all (x87 and SSE supported).</summary>
    public bool HasXSave => (Supported & (XFeatures.X87 | XFeatures.Sse)) == (XFeatures.X87 | XFeatures.Sse);

    /// <summary>The size of a standard-format image of <see cref="Xcr0"/>, from the recorded slots: what the kernel writes.</summary>
    public int ImageSize => Components.Where(c => ((ulong)Xcr0 & (1UL << c.Key)) != 0)
        .Select(c => c.Value.Offset + c.Value.Size).DefaultIfEmpty(0).Max() is var end && end > 576 ? end : 576;

    /// <summary>The library's profile of this CPU, built as the running CPU's is, from its CPUID answers.</summary>
    internal CpuProfile Profile()
    {
        var subleaves = new CpuidComponent[StateComponent.Count];
        foreach (var (bit, (offset, size, aligned)) in Components)
        {
            if (bit < subleaves.Length)
            {
                subleaves[bit] = new CpuidComponent(size, offset, aligned ? 2u : 0u);
            }
        }

        return CpuProfile.FromCpuid(Name, Xcr0, 0xFFFF, leafD1Eax: 0xF, Supported, subleaves);
    }

    public override string ToString() => Name;

    public static IReadOnlyList<RecordedCpu> All { get; } = Load();

    private static List<RecordedCpu> Load()
    {
        using Stream stream = typeof(RecordedCpu).Assembly.GetManifestResourceStream("cpu-profiles.tsv")
            ?? throw new InvalidOperationException("cpu-profiles.tsv is not embedded in the test assembly.");
        using var reader = new StreamReader(stream);
        var cpus = new List<RecordedCpu>();
        while (reader.ReadLine() is { } line)
        {
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue;
            }

            string[] fields = line.Split('\t');
            var components = new Dictionary<int, (int, int, bool)>();
            foreach (string component in fields[4].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                int[] parts = component.Split(':').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
                components[parts[0]] = (parts[1], parts[2], parts[3] != 0);
            }

            cpus.Add(new RecordedCpu(fields[0], fields[1], (XFeatures)ulong.Parse(fields[2].AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                int.Parse(fields[3], CultureInfo.InvariantCulture), components, fields[5] == "yes"));
        }

        return cpus;
    }
}
