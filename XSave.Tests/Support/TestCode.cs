using System;
using Iced.Intel;

namespace XSave.Tests.Support;

/// <summary>
/// Test-only machine code, assembled with Iced at run time and mapped like the library's thunks,
/// for checks where managed code between two calls could clobber the registers under test.
/// </summary>
internal static class TestCode
{
    /// <summary>Assembles <paramref name="emit"/> (System V ABI) and maps it read+execute.</summary>
    public static nint Map(Action<Assembler> emit)
    {
        var assembler = new Assembler(64);
        emit(assembler);
        using var stream = new System.IO.MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), 0);
        return ExecutableMemory.Map(stream.ToArray(), "XSave.Tests", string.Empty);
    }
}
