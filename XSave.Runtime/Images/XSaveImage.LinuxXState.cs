namespace XSave;

// Writing the format Linux reads: NT_X86_XSTATE, as PTRACE_SETREGSET takes it and a core holds it.
public sealed partial class XSaveImage
{
    private const int LinuxXcr0Offset = AreaOffsets.Descriptor; // sw_reserved word 0 (USER_XSTATE_XCR0_WORD): the software bytes

    /// <summary>
    /// The state as a Linux NT_X86_XSTATE image for a thread whose XCR0 is
    /// <paramref name="xcr0"/> (default: the one this image recorded): the standard format in
    /// <paramref name="layout"/> (default: this image's, or this CPU's for a compacted image), XCR0 in
    /// bytes 464–471 and the rest of 464–511 zero, XCOMP_BV 0, and exactly the size the kernel
    /// expects (the end of the last slot XCR0 enables, CPUID leaf 0DH's EBX). Components the page
    /// could not hold (AMX tile data) are written in their init state. To write an area, parse it
    /// first: <c>XSaveImage.Parse(area.ToArray()).ToLinuxXState(xcr0)</c>.
    /// </summary>
    /// <param name="xcr0">The target thread's XCR0.</param>
    /// <param name="layout">The target CPU's standard layout.</param>
    /// <returns>The image, ready for PTRACE_SETREGSET.</returns>
    /// <exception cref="ArgumentException">No XCR0 is known, it lacks x87 or SSE, the layout has no slot for a component it enables, or a component in use is not enabled (the kernel would refuse the image).</exception>
    /// <exception cref="PlatformNotSupportedException">The image is compacted, no layout was given and this is not an x86 CPU.</exception>
    public byte[] ToLinuxXState(XFeatures? xcr0 = null, XSaveLayout? layout = null)
    {
        XFeatures enabled = xcr0 ?? Xcr0 ?? throw new ArgumentException("This image records no XCR0 (only Linux images do): pass the target thread's.", nameof(xcr0));
        if ((enabled & (XFeatures.X87 | XFeatures.Sse)) != (XFeatures.X87 | XFeatures.Sse))
        {
            throw new ArgumentException($"XCR0 0x{(ulong)enabled:X} lacks x87 or SSE, which every XCR0 enables.", nameof(xcr0));
        }

        if ((InUse & ~enabled) != 0)
        {
            throw new ArgumentException($"XSTATE_BV marks components in use (0x{(ulong)(InUse & ~enabled):X}) that XCR0 0x{(ulong)enabled:X} does not enable: the kernel would refuse the image, and their values would be lost.", nameof(xcr0));
        }

        layout ??= Format == XSaveImageFormat.Compacted
            ? XSaveLayout.Current ?? throw new PlatformNotSupportedException("A compacted image needs the target's standard layout: pass one.")
            : Layout;
        foreach (XFeatures component in (enabled & ~(XFeatures.X87 | XFeatures.Sse)).Components())
        {
            if (layout.Slot(component) is null)
            {
                throw new ArgumentException($"XCR0 0x{(ulong)enabled:X} enables component {XSaveLayout.Bit(component)} ({component}), for which the {layout.Name} layout has no slot: it is not that CPU's XCR0.", nameof(layout));
            }
        }

        byte[] image = new byte[layout.StandardSize(enabled)];
        XSaveArea standard = ToStandard(layout);
        standard.AsReadOnlySpan()[..Math.Min(image.Length, XSaveArea.Size)].CopyTo(image);
        image.AsSpan(LinuxXcr0Offset, XSaveArea.HeaderOffset - LinuxXcr0Offset).Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(LinuxXcr0Offset), (ulong)enabled);
        return image;
    }
}
