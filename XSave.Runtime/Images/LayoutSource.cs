namespace XSave;

/// <summary>Where <see cref="XSaveImage.Layout"/> came from: how sure the reading of the image is.</summary>
public enum LayoutSource
{
    /// <summary>The caller passed it to <see cref="XSaveImage.Parse"/>.</summary>
    Given,
    /// <summary>A Linux core's own statement, its <c>NT_X86_XSAVE_LAYOUT</c> note.</summary>
    KernelNote,
    /// <summary>A compacted image describes itself (XCOMP_BV).</summary>
    Compacted,
    /// <summary>The layout descriptor in bytes 464–511, written by <see cref="XSaveArea.Save"/> or a conversion.</summary>
    Recorded,
    /// <summary>The only known vendor table whose size for the image's recorded XCR0 is the image's length.</summary>
    Xcr0AndSize,
    /// <summary>Every known vendor table places the components in use at the same offsets.</summary>
    TablesAgree,
    /// <summary>Nothing in the image says: this CPU's layout was assumed.</summary>
    ThisCpu,
    /// <summary>A 512-byte FXSAVE image: the legacy region only, nothing to locate.</summary>
    LegacyRegionOnly,
    /// <summary>A thread of this machine, read from its Windows thread context: this CPU's layout, known, not assumed.</summary>
    ThreadOnThisCpu,
    /// <summary>A minidump's own statement, MINIDUMP_MISC_INFO_5's XStateData (each enabled feature's offset and size).</summary>
    MinidumpXStateData,
}
