using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace XSave.Benchmarks;

/// <summary>The gcc-built baselines: compiled once per process from Native/xsavebench.c, then called.</summary>
internal static unsafe partial class NativeBaseline
{
    private const string Library = "xsavebench";
    private static readonly Lazy<nint> Handle = new(Build);

    static NativeBaseline() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeBaseline).Assembly, (name, _, _) => name == Library ? Handle.Value : 0);

    /// <summary>Makes sure the library is built (and so its build time never lands in a measurement).</summary>
    public static void Ensure() => _ = Handle.Value;

    [LibraryImport(Library, EntryPoint = "xsave_xrstor_loop")]
    public static partial void XSaveXRstorLoop(void* area, long n);

    [LibraryImport(Library, EntryPoint = "xsavec_xrstor_loop")]
    public static partial void XSaveCXRstorLoop(void* area, long n);

    [LibraryImport(Library, EntryPoint = "fxsave_fxrstor_loop")]
    public static partial void FxSaveFxRstorLoop(void* area, long n);

    [LibraryImport(Library, EntryPoint = "xgetbv_loop")]
    public static partial ulong XGetBvLoop(long n);

    [LibraryImport(Library, EntryPoint = "xsave_xrstor_pair")]
    public static partial void XSaveXRstorPair(void* area);

    [LibraryImport(Library, EntryPoint = "xsave_xrstor_pair")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvSuppressGCTransition)])]
    public static partial void XSaveXRstorPairSuppressed(void* area);

    [LibraryImport(Library, EntryPoint = "switch_pair")]
    public static partial void SwitchPair(void* from, void* to);

    [LibraryImport(Library, EntryPoint = "switch_loop")]
    public static partial void SwitchLoop(void* a, void* b, long n);

    [LibraryImport(Library, EntryPoint = "switch_call_loop")]
    public static partial void SwitchCallLoop(void* a, void* b, long n);

    [LibraryImport(Library, EntryPoint = "switchc_loop")]
    public static partial void SwitchCompactedLoop(void* a, void* b, long n);

    [LibraryImport(Library, EntryPoint = "xsave64_one")]
    public static partial void XSave64(void* area);

    [LibraryImport(Library, EntryPoint = "xrstor64_one")]
    public static partial void XRstor64(void* area);

    [LibraryImport(Library, EntryPoint = "stmxcsr_loop")]
    public static partial uint StMxcsrLoop(long n);

    [LibraryImport(Library, EntryPoint = "fnstcw_loop")]
    public static partial uint FnStCwLoop(long n);

    [LibraryImport(Library, EntryPoint = "mxcsr_scope_loop")]
    public static partial void MxcsrScopeLoop(long n);

    [LibraryImport(Library, EntryPoint = "map_read_execute")]
    public static partial void* MapReadExecute(void* code, nuint length);

    private static nint Build()
    {
        string source = Path.Combine(Path.GetTempPath(), $"xsavebench-{Environment.ProcessId}.c");
        string output = Path.Combine(Path.GetTempPath(), $"libxsavebench-{Environment.ProcessId}.so");
        using (Stream embedded = typeof(NativeBaseline).Assembly.GetManifestResourceStream("xsavebench.c")!)
        using (FileStream file = File.Create(source))
        {
            embedded.CopyTo(file);
        }

        using Process gcc = Process.Start(new ProcessStartInfo("gcc", ["-O2", "-shared", "-fPIC", "-o", output, source]) { RedirectStandardError = true })!;
        string errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        if (gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc could not build the native baseline: {errors}");
        }

        return NativeLibrary.Load(output);
    }
}
