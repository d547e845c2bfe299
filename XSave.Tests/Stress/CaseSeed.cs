namespace XSave.Stress;

/// <summary>A fixed mix of (seed, index, stream): HashCode.Combine is randomised per process, so it cannot rebuild a case.</summary>
internal static class CaseSeed
{
    public static int Of(long seed, long index, long stream = 0)
    {
        ulong mixed = unchecked(((ulong)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)index * 0xC2B2AE3D27D4EB4FUL) ^ ((ulong)stream * 0x165667B19E3779F9UL));
        mixed ^= mixed >> 29;
        return unchecked((int)(mixed ^ (mixed >> 32)));
    }
}
