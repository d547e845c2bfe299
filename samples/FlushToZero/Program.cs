// Why flush-to-zero exists: a resonant low-pass filter rings after one impulse, then the sound
// is silence, but its state decays towards zero through the subnormal floats, where most x86
// CPUs compute far slower. Each 256-sample block (5.3 ms of 48 kHz audio) is timed with the
// default MXCSR and inside FloatingPointControl.FlushToZero(), and the medians are drawn.
//
//   dotnet run -c Release --project samples/FlushToZero [-- --blocks N --passes N --svg FILE]
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using XSave;

int blocks = Option("--blocks", 400), passes = Option("--passes", 15);
string? svgPath = args.SkipWhile(a => a != "--svg").Skip(1).FirstOrDefault();
const int BlockSize = 256;

if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
{
    Console.WriteLine("flush-to-zero sample: needs an x86-64 process");
    return 0;
}

double[] plain = Run(flush: false, out Biquad plainFilter);
double[] flushed = Run(flush: true, out Biquad flushedFilter);

// Where the filter's state turned subnormal without FTZ: the first block whose state is below
// float's smallest normal; with FTZ the state is exactly zero from then on.
int subnormalFrom = plainFilter.FirstSubnormalBlock;
double Median(ReadOnlySpan<double> values) => values.ToArray().Order().ElementAt(values.Length / 2);
double plainTail = Median(plain.AsSpan(Math.Min(subnormalFrom + 10, blocks - 1)));
double flushedTail = Median(flushed.AsSpan(Math.Min(subnormalFrom + 10, blocks - 1)));
double plainHead = Median(plain.AsSpan(0, Math.Max(1, subnormalFrom / 2)));
Console.WriteLine($"flush-to-zero sample: {blocks} blocks of {BlockSize} samples, median of {passes} passes");
Console.WriteLine($"state subnormal from block {subnormalFrom} (default MXCSR); with FlushToZero the state is {(flushedFilter.StateIsZero ? "exactly zero" : "not zero")} at the end, without it {(plainFilter.StateIsZero ? "zero" : "subnormal")}");
Console.WriteLine($"ns per block, normal numbers (default MXCSR): {plainHead:F0}");
Console.WriteLine($"ns per block, subnormal tail: default MXCSR {plainTail:F0}, FlushToZero {flushedTail:F0} ({plainTail / flushedTail:F1}x)");
if (svgPath is not null)
{
    File.WriteAllText(svgPath, Plot(plain, flushed, subnormalFrom));
    Console.WriteLine($"plot written to {svgPath}");
}

return flushedFilter.StateIsZero && !plainFilter.StateIsZero ? 0 : 1;

double[] Run(bool flush, out Biquad last)
{
    double[][] times = new double[passes][];
    last = default!;
    float[] block = new float[BlockSize];
    for (int p = -1; p < passes; p++) // pass -1 warms up (and, under the JIT, compiles)
    {
        var filter = new Biquad(cutoff: 0.02f, q: 20f);
        double[] pass = new double[blocks];
        for (int b = 0; b < blocks; b++)
        {
            Array.Clear(block);
            if (b == 0)
            {
                block[0] = 1f; // one impulse, then silence
            }

            long start = Stopwatch.GetTimestamp();
            if (flush)
            {
                using (FloatingPointControl.FlushToZero())
                {
                    filter.Process(block);
                }
            }
            else
            {
                filter.Process(block);
            }

            pass[b] = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
            filter.Observe(b);
        }

        if (p >= 0)
        {
            times[p] = pass;
        }

        last = filter;
    }

    return Enumerable.Range(0, blocks).Select(b => Median(times.Select(t => t[b]).ToArray())).ToArray();
}

int Option(string name, int fallback) =>
    args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

static string Plot(double[] plain, double[] flushed, int subnormalFrom)
{
    const int Width = 760, Height = 360, Left = 70, Right = 20, Top = 40, Bottom = 50;
    double max = Math.Max(plain.Max(), flushed.Max()) * 1.05;
    string X(int i) => (Left + (double)i / (plain.Length - 1) * (Width - Left - Right)).ToString("F1", CultureInfo.InvariantCulture);
    string Y(double v) => (Top + (1 - v / max) * (Height - Top - Bottom)).ToString("F1", CultureInfo.InvariantCulture);
    string Line(double[] values) => string.Join(" ", values.Select((v, i) => $"{X(i)},{Y(v)}"));
    var svg = new System.Text.StringBuilder();
    svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">");
    svg.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>");
    svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"22\" font-size=\"14\">A resonant low-pass filter after one impulse: time per 256-sample block</text>");
    svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{X(Math.Min(subnormalFrom, plain.Length - 1))}\" y=\"{Top}\" width=\"{(Width - Right - double.Parse(X(Math.Min(subnormalFrom, plain.Length - 1)), CultureInfo.InvariantCulture)).ToString("F1", CultureInfo.InvariantCulture)}\" height=\"{Height - Top - Bottom}\" fill=\"#f3eee0\"/>");
    svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{X(Math.Min(subnormalFrom, plain.Length - 1))}\" y=\"{Top + 14}\" dx=\"4\" fill=\"#8a7a50\">state subnormal</text>");
    for (int t = 0; t <= 4; t++)
    {
        double v = max * t / 4;
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(v)}\" y2=\"{Y(v)}\" stroke=\"#ddd\"/><text x=\"{Left - 6}\" y=\"{Y(v)}\" dy=\"4\" text-anchor=\"end\">{v:F0}</text>");
    }

    svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{(Top + Height - Bottom) / 2}\" transform=\"rotate(-90 16 {(Top + Height - Bottom) / 2})\" text-anchor=\"middle\">ns per block (median)</text>");
    svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 12}\" text-anchor=\"middle\">block (5.3 ms of 48 kHz audio each)</text>");
    svg.AppendLine(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\" points=\"{Line(plain)}\"/>");
    svg.AppendLine(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"#2471a3\" stroke-width=\"1.5\" points=\"{Line(flushed)}\"/>");
    // The legend sits low on the left, below both lines (times start well above zero).
    svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Left + 12}\" y=\"{Height - Bottom - 30}\" fill=\"#c0392b\">default MXCSR</text>");
    svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Left + 12}\" y=\"{Height - Bottom - 12}\" fill=\"#2471a3\">inside FloatingPointControl.FlushToZero()</text>");
    svg.AppendLine("</svg>");
    return svg.ToString();
}
