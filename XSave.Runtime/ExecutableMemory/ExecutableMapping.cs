namespace XSave;

/// <summary>One block of machine code mapped read+execute by <see cref="ExecutableMemory.Map(System.ReadOnlySpan{byte}, string, string)"/>.</summary>
/// <param name="Address">The address of its first byte.</param>
/// <param name="Length">Its length in bytes (the mapping itself is rounded up to whole pages).</param>
/// <param name="Owner">Who mapped it: the assembly whose thunks it holds.</param>
/// <param name="Listing">Its disassembly, one instruction per line.</param>
public sealed record ExecutableMapping(nint Address, int Length, string Owner, string Listing);
