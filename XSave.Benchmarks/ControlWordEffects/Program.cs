// Which .NET operations follow MXCSR: each is computed in a [NoInlining] method on inputs computed
// at run time under the default MXCSR (nothing to fold, nothing computed after the change but the
// operation), once under the default MXCSR (0x1F80), then under rounding up and toward zero, or
// with FTZ and DAZ set, each through XSaveArea.Load. A row says whether the result's bits changed.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using XSave;

if (!XSaveArea.IsSupported)
{
    Console.Error.WriteLine("Needs an x86-64 CPU with XSAVE enabled.");
    return 1;
}

double one = double.Parse(args.Length > 0 ? args[0] : "1", CultureInfo.InvariantCulture);
double three = one * 3, two = one * 2, tiny = double.Parse("1e-310", CultureInfo.InvariantCulture), small = double.Parse("1e-160", CultureInfo.InvariantCulture);
float oneF = (float)one, threeF = (float)three, tinyF = float.Parse("1e-40", CultureInfo.InvariantCulture), smallF = float.Parse("1e-20", CultureInfo.InvariantCulture);
long big = (1L << 53) + (long)one; // one more than a double holds exactly
double third = one / three, twoAndAHalf = two + (one / 2), deepExponent = -709.5 * one, zero = 0 * one;
float thirdF = oneF / threeF;
(string Name, Func<string> Run)[] rounding =
[
    ("double division 1/3", () => Bits(Ops.Divide(one, three))),
    ("float division 1/3", () => Bits(Ops.DivideF(oneF, threeF))),
    ("Math.Sqrt(2)", () => Bits(Ops.Sqrt(two))),
    ("Math.FusedMultiplyAdd(1/3, 1/3, 1/3)", () => Bits(Ops.Fma(third, third, third))),
    ("(double)long 2^53+1", () => Bits(Ops.ToDouble(big))),
    ("Math.Sin(1)", () => Bits(Ops.Sin(one))),
    ("Math.Exp(1/3)", () => Bits(Ops.Exp(third))),
    ("Math.Log(3)", () => Bits(Ops.Log(three))),
    ("Math.Pow(3, 1/3)", () => Bits(Ops.Pow(three, third))),
    ("MathF.Sin(1)", () => Bits(Ops.SinF(oneF))),
    ("MathF.Exp(1/3)", () => Bits(Ops.ExpF(thirdF))),
    ("Math.Round(2.5)", () => Bits(Ops.Round(twoAndAHalf))),
    ("double.Parse(\"0.1\")", () => Bits(Ops.Parse("0.1"))),
    ("(1.0/3).ToString(\"R\")", () => Ops.Format(third)),
    ("Vector128<double> 1/3", () => Bits(Ops.DivideVector128(one, three))),
    ("Vector256<double> 1/3", () => Bits(Ops.DivideVector256(one, three))),
    ("Vector512<double> 1/3", () => Bits(Ops.DivideVector512(one, three))),
    ("TensorPrimitives.Divide 1/3", () => Bits(Ops.TensorDivide(oneF, threeF))),
    ("TensorPrimitives.Exp(1/3)", () => Bits(Ops.TensorExp(thirdF))),
];
(string Name, Func<string> Run)[] subnormal =
[
    ("double 1e-160 * 1e-160 (subnormal result)", () => Bits(Ops.Multiply(small, small))),
    ("double 1e-310 + 0 (subnormal input)", () => Bits(Ops.Add(tiny, zero))),
    ("float 1e-20 * 1e-20", () => Bits(Ops.MultiplyF(smallF, smallF))),
    ("float 1e-40 * 1", () => Bits(Ops.MultiplyF(tinyF, oneF))),
    ("Math.Sqrt(1e-310)", () => Bits(Ops.Sqrt(tiny))),
    ("Math.Exp(-709.5)", () => Bits(Ops.Exp(deepExponent))),
    ("double.Parse(\"1e-310\")", () => Bits(Ops.Parse("1e-310"))),
    ("(1e-310).ToString(\"R\")", () => Ops.Format(tiny)),
    ("Vector256<double> 1e-310 * 1", () => Bits(Ops.MultiplyVector256(tiny, one))),
    ("TensorPrimitives.Multiply 1e-40f * 1", () => Bits(Ops.TensorMultiply(tinyF, oneF))),
];

XSaveArea saved = default;
saved.Save();
Console.WriteLine($"{RuntimeInformation()}; XCR0 0x{(ulong)XSaveArea.EnabledFeatures:X}; Vector512 accelerated: {Vector512.IsHardwareAccelerated}");
Report("rounding: up (MXCSR 0x5F80), toward zero (0x7F80)", rounding, 0x5F80, 0x7F80);
Report("flush-to-zero and denormals-are-zero (MXCSR 0x9FC0)", subnormal, 0x9FC0);
saved.Load();
return 0;

void Report(string title, (string Name, Func<string> Run)[] rows, params uint[] modes)
{
    Console.WriteLine($"\n{title}\n| operation | default | {string.Join(" | ", modes.Select(m => $"0x{m:X4}"))} | follows MXCSR |\n|---|---|{string.Concat(modes.Select(_ => "---|"))}---|");
    foreach (var (name, run) in rows)
    {
        string before = run();
        var after = new List<string>();
        foreach (uint mxcsr in modes)
        {
            XSaveArea state = saved;
            state.Legacy.Mxcsr = (Mxcsr)mxcsr;
            state.Load();
            after.Add(run());
            saved.Load();
        }

        Console.WriteLine($"| {name} | {before} | {string.Join(" | ", after)} | {(after.All(a => a == before) ? "no" : "yes")} |");
    }
}

static string RuntimeInformation() => $"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {(RuntimeFeature.IsDynamicCodeCompiled ? "JIT" : "NativeAOT")}";

static string Bits<T>(T value) => value switch
{
    double d => $"0x{BitConverter.DoubleToUInt64Bits(d):X16}",
    float f => $"0x{BitConverter.SingleToUInt32Bits(f):X8}",
    _ => $"{value}",
};

/// <summary>Each operation in a method of its own: the compiler sees neither its inputs nor its result's use.</summary>
internal static class Ops
{
    [MethodImpl(MethodImplOptions.NoInlining)] public static double Divide(double a, double b) => a / b;
    [MethodImpl(MethodImplOptions.NoInlining)] public static float DivideF(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.NoInlining)] public static double Multiply(double a, double b) => a * b;
    [MethodImpl(MethodImplOptions.NoInlining)] public static float MultiplyF(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.NoInlining)] public static double Add(double a, double b) => a + b;
    [MethodImpl(MethodImplOptions.NoInlining)] public static double Sqrt(double a) => Math.Sqrt(a);
    [MethodImpl(MethodImplOptions.NoInlining)] public static double Fma(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.NoInlining)] public static double ToDouble(long a) => a;
    [MethodImpl(MethodImplOptions.NoInlining)] public static double Sin(double a) => Math.Sin(a);
    [MethodImpl(MethodImplOptions.NoInlining)] public static double Exp(double a) => Math.Exp(a);
    [MethodImpl(MethodImplOptions.NoInlining)] public static double Log(double a) => Math.Log(a);
    [MethodImpl(MethodImplOptions.NoInlining)] public static double Pow(double a, double b) => Math.Pow(a, b);
    [MethodImpl(MethodImplOptions.NoInlining)] public static float SinF(float a) => MathF.Sin(a);
    [MethodImpl(MethodImplOptions.NoInlining)] public static float ExpF(float a) => MathF.Exp(a);
    [MethodImpl(MethodImplOptions.NoInlining)] public static double Round(double a) => Math.Round(a);
    [MethodImpl(MethodImplOptions.NoInlining)] public static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);
    [MethodImpl(MethodImplOptions.NoInlining)] public static string Format(double a) => a.ToString("R", CultureInfo.InvariantCulture);
    [MethodImpl(MethodImplOptions.NoInlining)] public static double DivideVector128(double a, double b) => (Vector128.Create(a) / Vector128.Create(b)).ToScalar();
    [MethodImpl(MethodImplOptions.NoInlining)] public static double DivideVector256(double a, double b) => (Vector256.Create(a) / Vector256.Create(b)).ToScalar();
    [MethodImpl(MethodImplOptions.NoInlining)] public static double DivideVector512(double a, double b) => (Vector512.Create(a) / Vector512.Create(b)).ToScalar();
    [MethodImpl(MethodImplOptions.NoInlining)] public static double MultiplyVector256(double a, double b) => (Vector256.Create(a) * Vector256.Create(b)).ToScalar();

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float TensorDivide(float a, float b)
    {
        Span<float> x = stackalloc float[64], y = stackalloc float[64], result = stackalloc float[64];
        x.Fill(a);
        y.Fill(b);
        TensorPrimitives.Divide(x, y, result);
        return result[63];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float TensorExp(float a)
    {
        Span<float> x = stackalloc float[64], result = stackalloc float[64];
        x.Fill(a);
        TensorPrimitives.Exp(x, result);
        return result[63];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float TensorMultiply(float a, float b)
    {
        Span<float> x = stackalloc float[64], result = stackalloc float[64];
        x.Fill(a);
        TensorPrimitives.Multiply(x, b, result);
        return result[63];
    }
}
