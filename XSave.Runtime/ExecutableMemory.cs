using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace XSave;

/// <summary>
/// Maps machine code into executable memory for generated thunks. Pages go from read+write (to
/// copy the code in) to read+execute (to run it): never writable and executable at once.
/// Generated code calls <see cref="Map(ReadOnlySpan{byte}, string, string)"/> once per assembly and keeps the address for the
/// life of the process.
/// </summary>
public static unsafe partial class ExecutableMemory
{
    /// <summary>
    /// Copies <paramref name="code"/> into fresh pages, makes them read+execute and returns their
    /// address. The pages are never freed: thunks stay callable until the process ends.
    /// </summary>
    /// <param name="code">The machine code, at most a few pages.</param>
    /// <returns>The address of the first byte of the mapped code.</returns>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64, or the OS has no supported mapper.</exception>
    /// <exception cref="InvalidOperationException">The OS refused to map or protect the memory (SELinux execmem, a hardened kernel); the message names the call and the error.</exception>
    public static nint Map(ReadOnlySpan<byte> code) => Map(code, string.Empty, string.Empty);

    /// <summary>
    /// <see cref="Map(ReadOnlySpan{byte})"/>, recording the mapping in <see cref="Mappings"/> with
    /// its owner and disassembly so that tools can show what runs in the process.
    /// </summary>
    /// <param name="code">The machine code.</param>
    /// <param name="owner">Who mapped it (generated code passes its assembly's name).</param>
    /// <param name="listing">The code's disassembly, one instruction per line.</param>
    /// <returns>The address of the first byte of the mapped code.</returns>
    public static nint Map(ReadOnlySpan<byte> code, string owner, string listing)
    {
        nint address = MapCore(code);
        lock (s_mappings)
        {
            s_mappings.Add(new ExecutableMapping(address, code.Length, owner, listing));
        }

        return address;
    }

    /// <summary>Every mapping made so far in this process, oldest first.</summary>
    public static IReadOnlyList<ExecutableMapping> Mappings
    {
        get
        {
            lock (s_mappings)
            {
                return s_mappings.ToArray();
            }
        }
    }

    private static readonly List<ExecutableMapping> s_mappings = [];

    private static nint MapCore(ReadOnlySpan<byte> code)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException(
                $"XSave thunks are x86-64 machine code; this process is {RuntimeInformation.ProcessArchitecture}. Reading and writing XSaveArea views works everywhere.");
        }

        if (code.IsEmpty)
        {
            throw new ArgumentException("There is no code to map.", nameof(code));
        }

        if (OperatingSystem.IsWindows())
        {
            return MapWindows(code);
        }

        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            return MapPosix(code);
        }

        throw new PlatformNotSupportedException("XSave has no executable-memory mapper for this operating system.");
    }

    private static nuint PageRoundUp(int length) => (nuint)((length + 4095) & ~4095);
}
