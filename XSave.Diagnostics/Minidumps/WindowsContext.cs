namespace XSave.Diagnostics;

/// <summary>
/// The Windows CONTEXT facts (winnt.h) that both a live thread's context and a minidump's
/// contexts are read by: x64's 1232 bytes with its flags at 0x30, x86's 716 with its flags at 0,
/// and the CONTEXT_EX that follows either when the flags say XSTATE.
/// </summary>
internal static class WindowsContext
{
    public const uint Amd64 = 0x100000, I386 = 0x10000;                          // CONTEXT_AMD64, CONTEXT_i386
    public const uint FloatingPoint = 0x8, ExtendedRegisters = 0x20, XState = 0x40; // the flags beside them
    public const int Amd64Size = 1232, Amd64FlagsOffset = 0x30, Amd64MxcsrOffset = 0x34, Amd64FltSaveOffset = 0x100;
    public const int X86Size = 716, X86ExtendedRegistersOffset = 0xCC;
    public const int ContextExSize = 24; // three CONTEXT_CHUNKs {int32 Offset, uint32 Length}: All, Legacy, XState
}
