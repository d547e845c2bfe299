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
        ref readonly XSaveHeader header = ref area.ReadOnlyHeader;
        ref readonly LegacyRegion legacy = ref area.ReadOnlyLegacy;
        XFeatures restored = mask & cpu.Xcr0;
        // Found in any header (the compacted layout of any XCOMP_BV puts PKRU, bit 9, well inside
        // the page); the walk reaches its rule only after the header rules.
        ComponentSlot? pkru = (header.XStateBv & restored & XFeatures.Pkru) != 0 ? cpu.PkruSlot(in area) : null;
        var inputs = new RestoreInputs
        {
            XStateBv = (ulong)header.XStateBv,
            XCompBv = header.XCompBv,
            Xcr0 = (ulong)cpu.Xcr0,
            InPage = (ulong)XSaveArea.SafeFeatures,
            CompactedSupported = cpu.HasXSaveC,
            Restored = (ulong)restored,
            ReservedByteSet = header.FirstNonZeroReservedByte(),
            LayoutMismatch = !header.IsCompacted && !cpu.Descriptor.IsEmpty ? FirstMisplaced(in area, header.XStateBv & restored, cpu) : -1,
            Mxcsr = (uint)legacy.Mxcsr,
            MxcsrMask = cpu.MxcsrMask,
            Fcw = (ushort)legacy.Fcw,
            AbridgedFtw = legacy.AbridgedFtw,
            PkruFound = pkru is not null,
            Pkru = pkru is { } slot ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(area.AsReadOnlySpan().Slice(slot.Offset, 4)) : 0,
            Allowed = (uint)allowed,
        };
        ThrowIfBroken(inputs, in area, cpu, pkru?.Offset ?? -1);
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
    public static void ThrowIfInvalid(in LegacyRegion region, uint mxcsrMask, RestoreHazards allowed) =>
        ThrowIfBroken(Loading(XFeatures.X87 | XFeatures.Sse, (uint)region.Mxcsr, mxcsrMask, (ushort)region.Fcw, region.AbridgedFtw, allowed));

    /// <summary>The checks of an MXCSR about to be loaded alone (LDMXCSR): the reserved bits, then the masks.</summary>
    internal static void ThrowIfInvalidMxcsr(uint mxcsr, uint mxcsrMask, RestoreHazards allowed) =>
        ThrowIfBroken(Loading(XFeatures.Sse, mxcsr, mxcsrMask, 0, 0, allowed));

    /// <summary>The check of an FCW about to be loaded alone (FLDCW): the masks.</summary>
    internal static void ThrowIfInvalidFcw(ushort fcw, RestoreHazards allowed) =>
        ThrowIfBroken(Loading(XFeatures.X87, 0, 0, fcw, 0, allowed));

    // The inputs of a load of legacy fields alone: a standard header that loads exactly `loaded`.
    private static RestoreInputs Loading(XFeatures loaded, uint mxcsr, uint mxcsrMask, ushort fcw, byte ftw, RestoreHazards allowed) => new()
    {
        XStateBv = (ulong)loaded,
        Xcr0 = (ulong)loaded,
        Restored = (ulong)loaded,
        ReservedByteSet = -1,
        LayoutMismatch = -1,
        Mxcsr = mxcsr,
        MxcsrMask = mxcsrMask,
        Fcw = fcw,
        AbridgedFtw = ftw,
        Allowed = (uint)allowed,
    };

    private static void ThrowIfBroken(RestoreInputs inputs) => ThrowIfBroken(inputs, in Unsafe.NullRef<XSaveArea>(), null, -1);

    // The walk both forms make (RestoreChecks.FirstBroken); the first broken rule is worded here.
    private static unsafe void ThrowIfBroken(RestoreInputs inputs, in XSaveArea area, CpuProfile? cpu, int pkruOffset)
    {
        int position = RestoreChecks.FirstBroken(&inputs);
        if (position >= 0)
        {
            var rule = (RestoreRule)RestoreChecks.Row(position).Rule;
            (string field, ulong value, string message) = Words(rule, in inputs, in area, cpu, pkruOffset);
            throw new InvalidXSaveAreaException(rule, field, value, message + NotLoaded);
        }
    }

    // What each rule says when broken: the field it names, the value found there, why it cannot
    // load. A switch over every named rule with no fallback arm: a rule added to RestoreRule
    // without its words does not compile (CS8509); a number outside the enum cannot come from a
    // row (RestoreRuleTableTests ties the rows to the members).
#pragma warning disable CS8524
    private static (string Field, ulong Value, string Message) Words(RestoreRule rule, in RestoreInputs x, in XSaveArea area, CpuProfile? cpu, int pkruOffset) => rule switch
    {
        RestoreRule.XStateBvOutsideXcr0 => ("XSTATE_BV", x.XStateBv,
            $"XSTATE_BV = 0x{x.XStateBv:X} names component bit(s) 0x{x.XStateBv & ~x.Xcr0:X} that are not enabled in XCR0 = 0x{x.Xcr0:X}; XRSTOR would raise #GP."),
        RestoreRule.XCompBvInStandardFormat => ("XCOMP_BV", x.XCompBv, $"XCOMP_BV = 0x{x.XCompBv:X} must be 0 in the standard format (bit 63 clear); XRSTOR would raise #GP."),
        RestoreRule.CompactedFormatUnsupported => ("XCOMP_BV", x.XCompBv, $"XCOMP_BV = 0x{x.XCompBv:X} marks the compacted format, which this CPU cannot restore (no XSAVEC); XRSTOR would raise #GP."),
        RestoreRule.XCompBvOutsideXcr0 => ("XCOMP_BV", x.XCompBv,
            $"XCOMP_BV = 0x{x.XCompBv:X} names component bit(s) 0x{LaidOut(x) & ~x.Xcr0:X} that are not enabled in XCR0 = 0x{x.Xcr0:X}; XRSTOR would raise #GP."),
        RestoreRule.XStateBvOutsideXCompBv => ("XSTATE_BV", x.XStateBv,
            $"XSTATE_BV = 0x{x.XStateBv:X} names bit(s) 0x{x.XStateBv & ~LaidOut(x):X} missing from XCOMP_BV = 0x{x.XCompBv:X}; a compacted XRSTOR would raise #GP."),
        RestoreRule.XCompBvOutsidePage => ("XCOMP_BV", x.XCompBv,
            $"XCOMP_BV = 0x{x.XCompBv:X} lays out component bit(s) 0x{LaidOut(x) & ~x.InPage:X} outside XSaveArea.SafeFeatures; their slots would push the restore past the 4096-byte page."),
        RestoreRule.HeaderReservedBytes => ($"XSAVE header byte {x.ReservedByteSet - AreaOffsets.Header}", area.ByteAt(x.ReservedByteSet),
            $"XSAVE header byte {x.ReservedByteSet - AreaOffsets.Header} (area byte {x.ReservedByteSet}) is 0x{area.ByteAt(x.ReservedByteSet):X2}; header bytes 16–63 are reserved and must be 0 (XRSTOR raises #GP on bytes 16–23, and on all 48 in a compacted area; the SDM reserves the rest, and Linux refuses them too)."),
        RestoreRule.LayoutMismatch => LayoutWords(x.LayoutMismatch, area.Layout!, cpu!.Layout!),
        RestoreRule.MxcsrReservedBits => ("MXCSR", x.Mxcsr,
            $"MXCSR = 0x{x.Mxcsr:X8} sets bit(s) 0x{x.Mxcsr & ~x.MxcsrMask:X} outside this CPU's MXCSR_MASK = 0x{x.MxcsrMask:X8}; the restore would raise #GP."),
        RestoreRule.MxcsrExceptionUnmasked => ("MXCSR", x.Mxcsr,
            $"MXCSR = 0x{x.Mxcsr:X8} leaves SSE exception(s) unmasked (bits 7–12 must all be set; clear: 0x{~x.Mxcsr & RestoreChecks.MxcsrExceptionMasks:X}): the next floating-point operation that raises one, in managed code or the runtime's own, traps ({FloatingPointTrap.Name}) and .NET ends the process: no catch block sees it. Set Mxcsr.AllExceptionMasks, or pass RestoreHazards.UnmaskedSseExceptions only if nothing that can raise one runs until a later restore masks it again."),
        RestoreRule.X87ExceptionUnmasked => ("FCW", x.Fcw,
            $"FCW = 0x{x.Fcw:X4} leaves x87 exception(s) unmasked (bits 0–5 must all be set; clear: 0x{~x.Fcw & RestoreChecks.FcwExceptionMasks:X}): managed code has no x87 instructions, but the next one that raises an exception ({FloatingPointTrap.X87Users}) traps ({FloatingPointTrap.Name}) and ends the process. Set X87ControlWord.AllExceptionMasks, or pass RestoreHazards.UnmaskedX87Exceptions only if no x87 code that can raise one runs until a later restore masks it again."),
        RestoreRule.X87RegistersInUse => ("FTW", x.AbridgedFtw,
            $"The abridged FTW = 0x{x.AbridgedFtw:X2} marks x87 register(s) in use, but both x64 calling conventions require an empty x87 stack at every call and return: the next x87 code (a C library's long double functions) would overflow it and compute NaN without a word. Set AbridgedFtw to 0 (the registers' bytes may stay), or pass RestoreHazards.X87RegistersInUse if the code that runs next pops or frees them."),
        RestoreRule.PkruLocksKeyZero => x.PkruFound
            ? ("PKRU", x.Pkru,
                $"PKRU = 0x{x.Pkru:X8} (area byte {pkruOffset}) sets bit(s) 0x{x.Pkru & RestoreChecks.KeyZeroBits:X} for protection key 0, the key of every page not given another with pkey_mprotect: the thread's next memory access would fault. Clear bits 0–1, or pass RestoreHazards.KeyZeroLocked if the code that runs next touches only pages of other keys.")
            : ("PKRU", 0, "XSTATE_BV marks PKRU in use, but neither the CPU's layout nor the area's says where it lies, so its key-0 bits cannot be checked."),
    };
#pragma warning restore CS8524

    // The components a compacted header lays out: XCOMP_BV without its format bit.
    private static ulong LaidOut(in RestoreInputs x) => x.XCompBv & ~RestoreChecks.CompactedFormat;

    private static (string, ulong, string) LayoutWords(int bit, XSaveLayout recorded, XSaveLayout here)
    {
        var component = (XFeatures)(1UL << bit);
        return ("layout descriptor", (ulong)bit,
            $"The layout descriptor (bytes 464–511) places component {bit} ({component}) at {Offset(recorded, component)}, but this CPU puts it at {Offset(here, component)}: the area was saved on another kind of CPU. Convert it with XSaveImage.Parse(bytes).ToStandard().");
    }

    private static string Offset(XSaveLayout layout, XFeatures component) =>
        layout.Slot(component)?.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no slot";

    // The first restored component the area's recorded layout places elsewhere than this CPU
    // does, or -1: saved here, or no layout recorded (the CPU's own is assumed, as XRSTOR does).
    private static int FirstMisplaced(in XSaveArea area, XFeatures restored, CpuProfile cpu)
    {
        ReadOnlySpan<byte> recorded = area.AsReadOnlySpan().Slice(LayoutDescriptor.Offset, LayoutDescriptor.Length);
        if (recorded.SequenceEqual(cpu.Descriptor) || LayoutDescriptor.Read(recorded) is not { } areaLayout)
        {
            return -1;
        }

        XSaveLayout cpuLayout = cpu.Layout!;
        foreach (XFeatures component in restored.Components())
        {
            if (areaLayout.Slot(component)?.Offset != cpuLayout.Slot(component)?.Offset)
            {
                return XSaveLayout.Bit(component);
            }
        }

        return -1;
    }
}
