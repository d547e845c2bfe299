// The reference and special types every C# compilation names, with the layout ILC expects and
// nothing more: this image never allocates, so no type here has behaviour.
namespace System
{
    public class Object
    {
        // ILC's contract: every object starts with its type's MethodTable pointer.
#pragma warning disable CS0169
        private IntPtr _methodTable;
#pragma warning restore CS0169
    }

    public abstract class ValueType { }

    public abstract class Enum : ValueType { }

    public struct Nullable<T>
        where T : struct
    {
    }

    public sealed class String
    {
        // ILC's layout: the length, then the UTF-16 characters (string literals are frozen objects).
        private readonly int _length;
        private readonly char _firstChar;

        public int Length => _length;
    }

    public abstract class Array { }

    public abstract class Delegate { }

    public abstract class MulticastDelegate : Delegate { }

    public struct RuntimeTypeHandle { }

    public struct RuntimeMethodHandle { }

    public struct RuntimeFieldHandle { }

    // ILC looks for this generic array base type by name.
    internal sealed class Array<T> : Array { }
}
