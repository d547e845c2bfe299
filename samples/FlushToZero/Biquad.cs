using System;
using System.Runtime.CompilerServices;

/// <summary>
/// A biquad low-pass (RBJ's audio-EQ cookbook form), direct form I, in float as audio code runs
/// it. Also compiled into XSave.Benchmarks, whose IIR benchmark times the same filter.
/// </summary>
internal sealed class Biquad
{
    private readonly float _b0, _b1, _b2, _a1, _a2;
    private float _x1, _x2, _y1, _y2;

    /// <param name="cutoff">The cutoff as a fraction of the sample rate.</param>
    /// <param name="q">The resonance: the higher, the longer it rings.</param>
    public Biquad(float cutoff, float q)
    {
        double w = 2 * Math.PI * cutoff, alpha = Math.Sin(w) / (2 * q), a0 = 1 + alpha, c = Math.Cos(w);
        _b0 = _b2 = (float)((1 - c) / 2 / a0);
        _b1 = (float)((1 - c) / a0);
        _a1 = (float)(-2 * c / a0);
        _a2 = (float)((1 - alpha) / a0);
    }

    /// <summary>The first block after which the output state was subnormal (<see cref="Observe"/>).</summary>
    public int FirstSubnormalBlock { get; private set; } = int.MaxValue;

    public bool StateIsZero => _y1 == 0 && _y2 == 0;

    public bool StateIsSubnormal => _y1 != 0 && float.IsSubnormal(_y1);

    public Biquad Copy() => (Biquad)MemberwiseClone();

    // Compiled once, fully optimised from the first call (no tiering mid-measurement), run under either MXCSR.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public void Process(Span<float> samples)
    {
        float x1 = _x1, x2 = _x2, y1 = _y1, y2 = _y2;
        for (int i = 0; i < samples.Length; i++)
        {
            float x = samples[i];
            float y = (_b0 * x) + (_b1 * x1) + (_b2 * x2) - (_a1 * y1) - (_a2 * y2);
            x2 = x1;
            x1 = x;
            y2 = y1;
            y1 = y;
            samples[i] = y;
        }

        (_x1, _x2, _y1, _y2) = (x1, x2, y1, y2);
    }

    public void Observe(int block)
    {
        if (FirstSubnormalBlock == int.MaxValue && StateIsSubnormal)
        {
            FirstSubnormalBlock = block;
        }
    }
}
