// The fixed part of the runtime form's page class: emitted verbatim by the generator (an
// embedded resource) into each assembly's XSaveThunks.g.cs, beside the part it writes for that
// assembly (Owner, the SystemV and Windows images, their listings). Compiled only there.
/// <summary>
/// The executable page holding this assembly's thunks: mapped once, on first use, under a lock,
/// written while read+write and then switched to read+execute (never both).
/// </summary>
file static partial class XSaveThunkPage
{
    private static nint s_base;
    private static object? s_gate; // no static initialiser: NativeAOT would check a class constructor on every call

    public static nint Base
    {
        [global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get
        {
            nint address = global::System.Threading.Volatile.Read(ref s_base);
            if (address == 0)
            {
                address = Map(); // written so: the conditional form compiled to a branch and a jump on every call
            }

            return address;
        }
    }

    [global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static nint Map()
    {
        global::System.Threading.Interlocked.CompareExchange(ref s_gate, new object(), null);
        lock (s_gate)
        {
            if (s_base == 0)
            {
                global::System.Threading.Volatile.Write(ref s_base, global::System.OperatingSystem.IsWindows()
                    ? global::XSave.ExecutableMemory.Map(Windows, Owner, WindowsListing)
                    : global::XSave.ExecutableMemory.Map(SystemV, Owner, SystemVListing));
            }

            return s_base;
        }
    }
}
