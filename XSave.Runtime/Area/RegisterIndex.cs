namespace XSave;

/// <summary>The range check of the register accessors, with a message that names the register file.</summary>
internal static class RegisterIndex
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ThrowIfOutOfRange(int index, int count, string registers)
    {
        if ((uint)index >= (uint)count)
        {
            Throw(index, count, registers);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ThrowIfOutOfRange(int index, StateComponent component)
    {
        if ((uint)index >= (uint)component.RegisterCount)
        {
            Throw(index, component);
        }
    }

    private static void Throw(int index, StateComponent component) =>
        throw new ArgumentOutOfRangeException(nameof(index), index,
            $"{component.Name} registers are numbered 0–{component.RegisterCount - 1} ({component.NameOf(0)}–{component.NameOf(component.RegisterCount - 1)}); there is no {component.NameOf(index)}.");

    private static void Throw(int index, int count, string registers) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"{registers} registers are numbered 0–{count - 1}; there is no {registers}{index}.");
}
