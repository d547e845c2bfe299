namespace XSave.Generators.Models;

/// <summary>A thunk with its machine code for both x64 calling conventions and their disassembly.</summary>
/// <param name="Thunk">The method it implements.</param>
/// <param name="SystemV">Code for the System V AMD64 ABI (Linux, macOS, BSD).</param>
/// <param name="Windows">Code for the Windows x64 ABI.</param>
/// <param name="SystemVListing">One line per instruction of <paramref name="SystemV"/>.</param>
/// <param name="WindowsListing">One line per instruction of <paramref name="Windows"/>.</param>
internal sealed record AssembledThunk(
    ThunkModel Thunk,
    EquatableArray<byte> SystemV,
    EquatableArray<byte> Windows,
    EquatableArray<string> SystemVListing,
    EquatableArray<string> WindowsListing);
