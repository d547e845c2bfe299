namespace XSave.Diagnostics;

/// <summary>The libc calls a tracer needs (Linux). Declared, not shipped: libc is on every Linux system.</summary>
internal static unsafe partial class Ptrace
{
    // linux/ptrace.h and elf.h
    internal const int GetFpRegs = 14; // user_fpregs_struct: the 512-byte FXSAVE image
    internal const int Detach = 17;
    internal const int GetRegSet = 0x4204;
    internal const int SetRegSet = 0x4205;
    internal const int Seize = 0x4206;
    internal const int Interrupt = 0x4207;
    internal const int NtX86XState = 0x202;
    internal const int EventStop = 128; // PTRACE_EVENT_STOP, in bits 16–23 of a wait status

    // sys/wait.h
    internal const int WaitAll = 0x40000000; // __WALL: threads other than the leader too
    internal const int NoHang = 1; // WNOHANG

    internal const int ErrorInterrupted = 4; // EINTR

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    // ptrace is variadic in glibc; on x86-64 and arm64 Linux, integer arguments pass the same way.
    [LibraryImport("libc", EntryPoint = "ptrace", SetLastError = true)]
    internal static partial nint Call(int request, int threadId, nint address, nint data);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    internal static partial int WaitPid(int threadId, int* status, int options);
}
