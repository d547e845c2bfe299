namespace XSave.Generators.Models;

/// <summary>How a thunk receives its area.</summary>
internal enum AreaPassing
{
    /// <summary>No area (XGETBV).</summary>
    None,
    /// <summary><c>XSaveArea*</c> / <c>LegacyRegion*</c>.</summary>
    Pointer,
    /// <summary><c>ref</c>: pinned for the call.</summary>
    Ref,
    /// <summary><c>in</c> or <c>ref readonly</c>, restores only: pinned for the call.</summary>
    In,
}
