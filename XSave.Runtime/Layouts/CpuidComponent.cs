namespace XSave;

/// <summary>One sub-leaf of CPUID leaf 0DH for a user component: EAX (size), EBX (offset), ECX (flags).</summary>
internal readonly record struct CpuidComponent(int Size, int Offset, uint Ecx);
