namespace XSave;

/// <summary>
/// Maps machine code into executable memory for generated thunks. Pages go from read+write (to
/// copy the code in) to read+execute (to run it): never writable and executable at once.
/// Generated code calls <see cref="Map(ReadOnlySpan{byte}, string, string)"/> once per assembly and keeps the address for the
/// life of the process.
/// </summary>
public static class ExecutableMemory
{
    /// <summary>
    /// Copies <paramref name="code"/> into fresh pages, makes them read+execute and returns their
    /// address. The pages are never freed: thunks stay callable until the process ends.
    /// </summary>
    /// <param name="code">The machine code, at most a few pages.</param>
    /// <returns>The address of the first byte of the mapped code.</returns>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64.</exception>
    /// <exception cref="ExecutableMemoryUnavailableException">The <see cref="Allocator"/> refused (SELinux execmem, a hardened kernel, no OS mapper); the message names the cause.</exception>
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
        nint address = MapCore(code, owner);
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

    /// <summary>
    /// Where thunk code is mapped. The default uses the OS (mmap/mprotect, VirtualAlloc/
    /// VirtualProtect). Hosts without one, or with their own rules for executable memory
    /// (kernels, UEFI, sandboxes), set their own before the first thunk call; a block already
    /// mapped stays where it is.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public static IExecutableMemoryAllocator Allocator
    {
        get => s_allocator;
        set => s_allocator = value ?? throw new ArgumentNullException(nameof(value));
    }

    private static volatile IExecutableMemoryAllocator s_allocator = new OperatingSystemAllocator();

    private static nint MapCore(ReadOnlySpan<byte> code, string owner)
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

        nint address;
        try
        {
            address = s_allocator.MapExecutable(code);
        }
        catch (Exception e) when (e is not ExecutableMemoryUnavailableException)
        {
            throw new ExecutableMemoryUnavailableException($"Executable memory for {Who(owner)} was refused: {e.Message}", e);
        }

        if (address == 0)
        {
            throw new ExecutableMemoryUnavailableException($"Executable memory for {Who(owner)} was refused: {s_allocator.GetType().Name} returned a null address.");
        }

        return address;
    }

    // Only on failure: the message is not built on the success path.
    private static string Who(string owner) => owner.Length > 0 ? $"the thunks of {owner}" : "XSave thunks";
}
