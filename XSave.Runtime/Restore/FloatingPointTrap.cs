namespace XSave;

/// <summary>
/// How the operating system at hand reports an unmasked floating-point exception, named in the
/// restore rules' messages so that they say what happens where the program runs.
/// </summary>
internal static class FloatingPointTrap
{
    // Windows raises an SSE trap (#XM) as STATUS_FLOAT_MULTIPLE_TRAPS and an x87 one (#MF) as
    // STATUS_FLOAT_<kind>; Linux, macOS and FreeBSD deliver SIGFPE for both. .NET 10 turns
    // neither into a managed exception (docs/design.md, "What an opt-in lets happen").
    internal static string Name => OperatingSystem.IsWindows() ? "a STATUS_FLOAT_… exception" : "SIGFPE";

    /// <summary>Who executes x87 code in a .NET process here (the JIT never emits it on x64).</summary>
    internal static string X87Users => OperatingSystem.IsWindows()
        ? "native code that uses x87, rare on Windows x64"
        : "a C library's long double functions, libm among them";
}
