// What the C# compiler and ILC ask of a core library for the language features this image uses.
namespace System.Runtime.CompilerServices
{
    public static class RuntimeHelpers
    {
        // `fixed (char* p = "text")` points this far past the string's start.
        public static unsafe int OffsetToStringData => sizeof(IntPtr) + sizeof(int);
    }

    public static class RuntimeFeature
    {
        // Its presence tells the compiler that `delegate* unmanaged` calls are supported.
        public const string UnmanagedSignatureCallingConvention = nameof(UnmanagedSignatureCallingConvention);
    }

    public sealed class CompilerGeneratedAttribute : Attribute { }
}

namespace System.Runtime
{
    // ILC exports a method marked so under the given symbol: the image's entry point, the helpers below.
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class RuntimeExportAttribute : Attribute
    {
        public RuntimeExportAttribute(string entry)
        {
        }
    }
}

namespace System.Runtime.CompilerServices
{
    public enum MethodImplOptions
    {
        NoInlining = 8,
        AggressiveInlining = 256,
    }

    // A pseudo-attribute: the compiler turns it into method flags, which ILC honours.
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class MethodImplAttribute : Attribute
    {
        public MethodImplAttribute(MethodImplOptions options)
        {
        }
    }
}
