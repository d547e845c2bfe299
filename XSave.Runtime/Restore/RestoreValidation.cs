namespace XSave;

/// <summary>
/// The checks that stand between a caller's bytes and XRSTOR/FXRSTOR: the rules whose violation
/// would fault (Intel SDM vol. 1 §13.8.1 and §13.8.2, re-checked on real CPUs: docs/xsave-behaviour.md),
/// and those whose violation leaves a state the managed thread cannot run in. They are pure
/// functions of the area and of what the CPU allows, so they run (and are tested) on any
/// architecture. They judge the bytes as given: <see cref="XSaveArea.Load()"/> first gives unset
/// (zero) FCW and MXCSR their init values.
/// </summary>
public static class RestoreValidation
{
    private const string NotLoaded = " Nothing was loaded.";

    /// <summary>
    /// Runs the checks of <see cref="XSaveArea.Load(RestoreHazards)"/> on this CPU without loading
    /// anything: throws <see cref="InvalidXSaveAreaException"/>, naming the field and the rule,
    /// where XRSTOR would fault or the thread could not run in the state loaded (unless
    /// <paramref name="allowed"/> says so). The bytes are judged as given: <c>Load</c> first
    /// gives an unset (zero) FCW and MXCSR their init values.
    /// </summary>
    /// <param name="area">The area about to be restored.</param>
    /// <param name="allowed">The hazards the caller accepts.</param>
    /// <exception cref="PlatformNotSupportedException">This is not an x86-64 CPU with XSAVE enabled.</exception>
    public static void ThrowIfInvalid(in XSaveArea area, RestoreHazards allowed) =>
        ThrowIfInvalid(in area, XSaveArea.SafeFeatures, Processor.Profile, allowed);

    /// <summary>The check of <see cref="ThrowIfInvalid(in XSaveArea, RestoreHazards)"/>, no hazard allowed.</summary>
    /// <param name="area">The area about to be restored.</param>
    /// <exception cref="PlatformNotSupportedException">This is not an x86-64 CPU with XSAVE enabled.</exception>
    public static void ThrowIfInvalid(in XSaveArea area) => ThrowIfInvalid(in area, RestoreHazards.None);

    /// <summary>
    /// Throws <see cref="InvalidXSaveAreaException"/> if XRSTOR of <paramref name="area"/> with
    /// <paramref name="mask"/> would fault on a CPU with the given XCR0, MXCSR_MASK and XSAVEC
    /// support, or would load a state the thread cannot run in (unless <paramref name="allowed"/> says so).
    /// </summary>
    /// <param name="area">The area about to be restored.</param>
    /// <param name="mask">The requested-feature mask (EDX:EAX) of the restore.</param>
    /// <param name="xcr0">The CPU's XCR0.</param>
    /// <param name="mxcsrMask">The CPU's MXCSR_MASK.</param>
    /// <param name="compactedSupported">Whether the CPU has XSAVEC (and so XRSTOR of the compacted format).</param>
    /// <param name="cpuLayout">The CPU's standard layout; when given, an area recording a different layout for a component it restores is rejected. PKRU is located with it (else with the area's own layout).</param>
    /// <param name="allowed">The hazards the caller accepts.</param>
    internal static void ThrowIfInvalid(in XSaveArea area, XFeatures mask, XFeatures xcr0, uint mxcsrMask, bool compactedSupported, XSaveLayout? cpuLayout = null, RestoreHazards allowed = RestoreHazards.None) =>
        ThrowIfInvalid(in area, mask, new CpuProfile("given", xcr0, mxcsrMask, compactedSupported ? 2 : 0, cpuLayout, XFeatures.None), allowed);

    /// <summary>The same checks against a CPU profile (the running CPU's, or a recorded one).</summary>
    internal static void ThrowIfInvalid(in XSaveArea area, XFeatures mask, CpuProfile cpu, RestoreHazards allowed)
    {
        XFeatures xcr0 = cpu.Xcr0;
        ref readonly XSaveHeader header = ref area.ReadOnlyHeader;
        XFeatures xstateBv = header.XStateBv;
        if (RestoreChecks.XStateBvOutsideXcr0((ulong)xstateBv, (ulong)xcr0))
        {
            throw Fail(RestoreRule.XStateBvOutsideXcr0, "XSTATE_BV", (ulong)xstateBv,
                $"XSTATE_BV = 0x{(ulong)xstateBv:X} names component bit(s) 0x{(ulong)(xstateBv & ~xcr0):X} that are not enabled in XCR0 = 0x{(ulong)xcr0:X}; XRSTOR would raise #GP.");
        }

        ulong xcompBv = header.XCompBv;
        if (!header.IsCompacted)
        {
            if (RestoreChecks.XCompBvInStandardFormat(xcompBv))
            {
                throw Fail(RestoreRule.XCompBvInStandardFormat, "XCOMP_BV", xcompBv,
                    $"XCOMP_BV = 0x{xcompBv:X} must be 0 in the standard format (bit 63 clear); XRSTOR would raise #GP.");
            }
        }
        else
        {
            XFeatures laidOut = header.CompactedFeatures;
            if (RestoreChecks.CompactedFormatUnsupported(xcompBv, cpu.HasXSaveC))
            {
                throw Fail(RestoreRule.CompactedFormatUnsupported, "XCOMP_BV", xcompBv,
                    $"XCOMP_BV = 0x{xcompBv:X} marks the compacted format, which this CPU cannot restore (no XSAVEC); XRSTOR would raise #GP.");
            }

            if (RestoreChecks.XCompBvOutsideXcr0(xcompBv, (ulong)xcr0))
            {
                throw Fail(RestoreRule.XCompBvOutsideXcr0, "XCOMP_BV", xcompBv,
                    $"XCOMP_BV = 0x{xcompBv:X} names component bit(s) 0x{(ulong)(laidOut & ~xcr0):X} that are not enabled in XCR0 = 0x{(ulong)xcr0:X}; XRSTOR would raise #GP.");
            }

            if (RestoreChecks.XStateBvOutsideXCompBv((ulong)xstateBv, (ulong)laidOut))
            {
                throw Fail(RestoreRule.XStateBvOutsideXCompBv, "XSTATE_BV", (ulong)xstateBv,
                    $"XSTATE_BV = 0x{(ulong)xstateBv:X} names bit(s) 0x{(ulong)(xstateBv & ~laidOut):X} missing from XCOMP_BV = 0x{xcompBv:X}; a compacted XRSTOR would raise #GP.");
            }

            if (RestoreChecks.XCompBvOutsidePage(xcompBv, (ulong)XSaveArea.SafeFeatures))
            {
                throw Fail(RestoreRule.XCompBvOutsidePage, "XCOMP_BV", xcompBv,
                    $"XCOMP_BV = 0x{xcompBv:X} lays out component bit(s) 0x{(ulong)(laidOut & ~XSaveArea.SafeFeatures):X} outside XSaveArea.SafeFeatures; their slots would push the restore past the 4096-byte page.");
            }
        }

        int reserved = header.FirstNonZeroReservedByte();
        if (reserved >= 0)
        {
            byte value = area.ByteAt(reserved);
            throw Fail(RestoreRule.HeaderReservedBytes, $"XSAVE header byte {reserved - XSaveArea.HeaderOffset}", value,
                $"XSAVE header byte {reserved - XSaveArea.HeaderOffset} (area byte {reserved}) is 0x{value:X2}; header bytes 16–63 are reserved and must be 0 (XRSTOR raises #GP on bytes 16–23, and on all 48 in a compacted area; the SDM reserves the rest, and Linux refuses them too).");
        }

        XFeatures restored = mask & xcr0;
        if (!header.IsCompacted && !cpu.Descriptor.IsEmpty)
        {
            ThrowIfLayoutDiffers(in area, xstateBv & restored, cpu);
        }

        // XRSTOR loads MXCSR whenever the mask requests SSE or AVX, and FCW with the rest of the
        // x87 state only when XSTATE_BV marks it (else it initialises it).
        bool loadsMxcsr = ((ulong)restored & RestoreChecks.MxcsrLoaders) != 0;
        if (loadsMxcsr)
        {
            ThrowIfMxcsrReserved(area.ReadOnlyLegacy.Mxcsr, cpu.MxcsrMask);
        }

        ThrowIfHazardous(in area.ReadOnlyLegacy, loadsMxcsr, (xstateBv & restored & XFeatures.X87) != 0, allowed);
        if ((xstateBv & restored & XFeatures.Pkru) != 0 && (allowed & RestoreHazards.KeyZeroLocked) == 0)
        {
            ThrowIfPkruLocksKeyZero(in area, cpu);
        }
    }

    /// <summary>The check of <see cref="ThrowIfInvalid(in LegacyRegion, uint, RestoreHazards)"/>, no hazard allowed.</summary>
    /// <param name="region">The legacy region about to be restored.</param>
    /// <param name="mxcsrMask">The running CPU's MXCSR_MASK.</param>
    public static void ThrowIfInvalid(in LegacyRegion region, uint mxcsrMask) => ThrowIfInvalid(in region, mxcsrMask, RestoreHazards.None);

    /// <summary>
    /// Throws <see cref="InvalidXSaveAreaException"/> if FXRSTOR of <paramref name="region"/> would
    /// fault on MXCSR (a bit set outside <paramref name="mxcsrMask"/>), or would unmask an SSE or
    /// x87 exception (unless <paramref name="allowed"/> says so).
    /// </summary>
    /// <param name="region">The legacy region about to be restored.</param>
    /// <param name="mxcsrMask">The running CPU's MXCSR_MASK (the region's own field is ignored, as the CPU ignores it).</param>
    /// <param name="allowed">The hazards the caller accepts.</param>
    public static void ThrowIfInvalid(in LegacyRegion region, uint mxcsrMask, RestoreHazards allowed)
    {
        ThrowIfMxcsrReserved(region.Mxcsr, mxcsrMask);
        ThrowIfHazardous(in region, loadsMxcsr: true, loadsX87: true, allowed);
    }

    /// <summary>The checks of an MXCSR about to be loaded alone (LDMXCSR): the reserved bits, then the masks.</summary>
    internal static void ThrowIfInvalidMxcsr(uint mxcsr, uint mxcsrMask, RestoreHazards allowed)
    {
        ThrowIfMxcsrReserved((Mxcsr)mxcsr, mxcsrMask);
        ThrowIfMxcsrUnmasks(mxcsr, allowed);
    }

    /// <summary>The check of an FCW about to be loaded alone (FLDCW): the masks.</summary>
    internal static void ThrowIfInvalidFcw(ushort fcw, RestoreHazards allowed) => ThrowIfFcwUnmasks(fcw, allowed);

    private static void ThrowIfMxcsrReserved(Mxcsr value, uint mxcsrMask)
    {
        uint mxcsr = (uint)value;
        if (RestoreChecks.MxcsrReservedBits(mxcsr, mxcsrMask))
        {
            throw Fail(RestoreRule.MxcsrReservedBits, "MXCSR", mxcsr,
                $"MXCSR = 0x{mxcsr:X8} sets bit(s) 0x{mxcsr & ~mxcsrMask:X} outside this CPU's MXCSR_MASK = 0x{mxcsrMask:X8}; the restore would raise #GP.");
        }
    }

    private static void ThrowIfMxcsrUnmasks(uint mxcsr, RestoreHazards allowed)
    {
        if (RestoreChecks.MxcsrExceptionUnmasked(mxcsr) && (allowed & RestoreHazards.UnmaskedSseExceptions) == 0)
        {
            throw Fail(RestoreRule.MxcsrExceptionUnmasked, "MXCSR", mxcsr,
                $"MXCSR = 0x{mxcsr:X8} leaves SSE exception(s) unmasked (bits 7–12 must all be set; clear: 0x{~mxcsr & RestoreChecks.MxcsrExceptionMasks:X}): the next floating-point operation that raises one, in managed code or the runtime's own, traps ({FloatingPointTrap.Name}) and .NET ends the process: no catch block sees it. Set Mxcsr.AllExceptionMasks, or pass RestoreHazards.UnmaskedSseExceptions only if nothing that can raise one runs until a later restore masks it again.");
        }
    }

    private static void ThrowIfFcwUnmasks(ushort fcw, RestoreHazards allowed)
    {
        if (RestoreChecks.X87ExceptionUnmasked(fcw) && (allowed & RestoreHazards.UnmaskedX87Exceptions) == 0)
        {
            throw Fail(RestoreRule.X87ExceptionUnmasked, "FCW", fcw,
                $"FCW = 0x{fcw:X4} leaves x87 exception(s) unmasked (bits 0–5 must all be set; clear: 0x{~fcw & RestoreChecks.FcwExceptionMasks:X}): managed code has no x87 instructions, but the next one that raises an exception ({FloatingPointTrap.X87Users}) traps ({FloatingPointTrap.Name}) and ends the process. Set X87ControlWord.AllExceptionMasks, or pass RestoreHazards.UnmaskedX87Exceptions only if no x87 code that can raise one runs until a later restore masks it again.");
        }
    }

    private static void ThrowIfHazardous(in LegacyRegion region, bool loadsMxcsr, bool loadsX87, RestoreHazards allowed)
    {
        if (loadsMxcsr)
        {
            ThrowIfMxcsrUnmasks((uint)region.Mxcsr, allowed);
        }

        if (loadsX87)
        {
            ThrowIfFcwUnmasks((ushort)region.Fcw, allowed);
        }

        byte ftw = region.AbridgedFtw;
        if (loadsX87 && RestoreChecks.X87RegistersInUse(ftw) && (allowed & RestoreHazards.X87RegistersInUse) == 0)
        {
            throw Fail(RestoreRule.X87RegistersInUse, "FTW", ftw,
                $"The abridged FTW = 0x{ftw:X2} marks x87 register(s) in use, but both x64 calling conventions require an empty x87 stack at every call and return: the next x87 code (a C library's long double functions) would overflow it and compute NaN without a word. Set AbridgedFtw to 0 (the registers' bytes may stay), or pass RestoreHazards.X87RegistersInUse if the code that runs next pops or frees them.");
        }
    }

    private static void ThrowIfPkruLocksKeyZero(in XSaveArea area, CpuProfile cpu)
    {
        if (cpu.PkruSlot(in area) is not { } slot)
        {
            throw Fail(RestoreRule.PkruLocksKeyZero, "PKRU", 0,
                "XSTATE_BV marks PKRU in use, but neither the CPU's layout nor the area's says where it lies, so its key-0 bits cannot be checked.");
        }

        uint pkru = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(area.AsReadOnlySpan().Slice(slot.Offset, 4));
        if (RestoreChecks.PkruLocksKeyZero(pkru))
        {
            throw Fail(RestoreRule.PkruLocksKeyZero, "PKRU", pkru,
                $"PKRU = 0x{pkru:X8} (area byte {slot.Offset}) sets bit(s) 0x{pkru & RestoreChecks.KeyZeroBits:X} for protection key 0, the key of every page not given another with pkey_mprotect: the thread's next memory access would fault. Clear bits 0–1, or pass RestoreHazards.KeyZeroLocked if the code that runs next touches only pages of other keys.");
        }
    }

    private static void ThrowIfLayoutDiffers(in XSaveArea area, XFeatures restored, CpuProfile cpu)
    {
        ReadOnlySpan<byte> recorded = area.AsReadOnlySpan().Slice(LayoutDescriptor.Offset, LayoutDescriptor.Length);
        if (recorded.SequenceEqual(cpu.Descriptor) || LayoutDescriptor.Read(recorded) is not { } areaLayout)
        {
            return; // saved here, or no layout recorded (the CPU's own is assumed, as XRSTOR does)
        }

        XSaveLayout cpuLayout = cpu.Layout!;
        foreach (XFeatures component in restored.Components())
        {
            if (areaLayout.Slot(component)?.Offset != cpuLayout.Slot(component)?.Offset)
            {
                int bit = XSaveLayout.Bit(component);
                throw Fail(RestoreRule.LayoutMismatch, "layout descriptor", (ulong)bit,
                    $"The layout descriptor (bytes 464–511) places component {bit} ({component}) at {areaLayout.Slot(component)?.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no slot"}, but this CPU puts it at {cpuLayout.Slot(component)?.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no slot"}: the area was saved on another kind of CPU. Convert it with XSaveImage.Parse(bytes).ToStandard().");
            }
        }
    }

    private static InvalidXSaveAreaException Fail(RestoreRule rule, string field, ulong value, string message) =>
        new(rule, field, value, message + NotLoaded);
}
