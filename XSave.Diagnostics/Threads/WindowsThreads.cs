namespace XSave.Diagnostics;

/// <summary>The kernel32 calls a debugger uses to move a thread's context (Windows 7 SP1 and later).</summary>
internal static unsafe partial class WindowsThreads
{
    // winnt.h
    internal const uint ContextFloatingPoint = WindowsContext.Amd64 | WindowsContext.FloatingPoint; // FltSave and MxCsr
    internal const uint ContextXState = WindowsContext.Amd64 | WindowsContext.XState; // the CONTEXT_EX extended area
    internal const int ContextMxcsrOffset = WindowsContext.Amd64MxcsrOffset; // CONTEXT.MxCsr, which mirrors FltSave's
    internal const uint ThreadAccess = 0x0002 | 0x0008 | 0x0010 | 0x0040; // SUSPEND_RESUME, GET_CONTEXT, SET_CONTEXT, QUERY_INFORMATION
    internal const uint Failed = uint.MaxValue; // SuspendThread's (DWORD)-1

    [LibraryImport("kernel32", SetLastError = true)]
    internal static partial nint OpenThread(uint access, int inherit, int threadId);

    [LibraryImport("kernel32", SetLastError = true)]
    internal static partial uint SuspendThread(nint thread);

    [LibraryImport("kernel32", SetLastError = true)]
    internal static partial uint ResumeThread(nint thread);

    [LibraryImport("kernel32")]
    internal static partial int CloseHandle(nint handle);

    [LibraryImport("kernel32")]
    internal static partial int GetCurrentThreadId();

    [LibraryImport("kernel32", SetLastError = true)]
    internal static partial int InitializeContext(void* buffer, uint flags, void** context, uint* length);

    [LibraryImport("kernel32")]
    internal static partial ulong GetEnabledXStateFeatures();

    [LibraryImport("kernel32", SetLastError = true)]
    internal static partial int SetXStateFeaturesMask(void* context, ulong mask);

    [LibraryImport("kernel32", SetLastError = true)]
    internal static partial int GetXStateFeaturesMask(void* context, ulong* mask);

    [LibraryImport("kernel32")]
    internal static partial void* LocateXStateFeature(void* context, uint featureId, uint* length);

    [LibraryImport("kernel32", SetLastError = true)]
    internal static partial int GetThreadContext(nint thread, void* context);

    [LibraryImport("kernel32", SetLastError = true)]
    internal static partial int SetThreadContext(nint thread, void* context);
}
