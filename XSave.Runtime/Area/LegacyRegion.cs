namespace XSave;

/// <summary>
/// The 512-byte legacy region written by FXSAVE and by XSAVE for components 0 and 1
/// (64-bit format: Intel SDM vol. 1 §10.5.1, table 10-2). Bytes 464–511 are free for software
/// and no instruction writes them.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public partial struct LegacyRegion
{
    /// <summary>The size of the region in bytes.</summary>
    public const int Size = 512;

    [FieldOffset(0)] private ushort _fcw;
    [FieldOffset(2)] private ushort _fsw;
    [FieldOffset(AbridgedFtwOffset)] private byte _ftw;
    [FieldOffset(6)] private ushort _fop;
    [FieldOffset(8)] private ulong _fip;
    [FieldOffset(16)] private ulong _fdp;
    [FieldOffset(24)] private uint _mxcsr;
    [FieldOffset(28)] private uint _mxcsrMask;

    /// <summary>FCW, the x87 control word (byte 0).</summary>
    public X87ControlWord Fcw { readonly get => (X87ControlWord)_fcw; set => _fcw = (ushort)value; }

    /// <summary>FSW, the x87 status word (byte 2).</summary>
    public X87StatusWord Fsw { readonly get => (X87StatusWord)_fsw; set => _fsw = (ushort)value; }

    /// <summary>The x87 top-of-stack pointer, FSW bits 11–13.</summary>
    public readonly int Top => (_fsw >> 11) & 7;

    /// <summary>
    /// The abridged tag word (byte 4): bit i is 1 when physical register i is valid, 0 when empty.
    /// </summary>
    public byte AbridgedFtw { readonly get => _ftw; set => _ftw = value; }

    /// <summary>FOP, the last x87 opcode (byte 6, 11 bits).</summary>
    public ushort Fop { readonly get => _fop; set => _fop = value; }

    /// <summary>FIP, the last x87 instruction pointer (byte 8, 64-bit format).</summary>
    public ulong Fip { readonly get => _fip; set => _fip = value; }

    /// <summary>FDP, the last x87 data pointer (byte 16, 64-bit format).</summary>
    public ulong Fdp { readonly get => _fdp; set => _fdp = value; }

    /// <summary>MXCSR, the SSE control and status register (byte 24).</summary>
    public Mxcsr Mxcsr { readonly get => (Mxcsr)_mxcsr; set => _mxcsr = (uint)value; }

    /// <summary>SSE rounding: MXCSR bits 13–14, read and written without touching the other bits.</summary>
    public RoundingControl SseRounding
    {
        readonly get => (RoundingControl)((_mxcsr >> 13) & 3);
        set => _mxcsr = (_mxcsr & ~(3u << 13)) | (((uint)value & 3) << 13);
    }

    /// <summary>x87 rounding: FCW bits 10–11, read and written without touching the other bits.</summary>
    public RoundingControl X87Rounding
    {
        readonly get => (RoundingControl)((_fcw >> 10) & 3);
        set => _fcw = (ushort)((_fcw & ~(3 << 10)) | (((int)value & 3) << 10));
    }

    /// <summary>
    /// MXCSR_MASK (byte 28): the MXCSR bits the saving CPU supports. Every save writes it; it is
    /// ignored on restore, where the running CPU's own mask decides what is legal.
    /// </summary>
    public Mxcsr MxcsrMask { readonly get => (Mxcsr)_mxcsrMask; set => _mxcsrMask = (uint)value; }

    // The register files are fields, not ref-returning properties: through a read-only reference
    // (XSaveContext.Area) a write to a field is a compile-time error, where a property would hand
    // out a reference to a silent defensive copy.

    /// <summary>ST0–ST7 / MM0–MM7 (byte 32, 16 bytes each, in stack order ST(i)).</summary>
    [FieldOffset(StOffset)]
    public X87RegisterArray St;

    /// <summary>XMM0–XMM15 (byte 160, 16 bytes each).</summary>
    [FieldOffset(XmmOffset)]
    public XmmRegisterArray Xmm;

    /// <summary>
    /// True when MXCSR_MASK is zero, which no save ever writes: the region was built by hand or
    /// is <c>default</c>, and zero FCW/MXCSR there mean "not set", not "every exception unmasked".
    /// </summary>
    internal readonly bool HasUnsetControlWords => _mxcsrMask == 0 && (_mxcsr == 0 || _fcw == 0);

    /// <summary>Replaces unset (zero) FCW and MXCSR with their init values; see <see cref="HasUnsetControlWords"/>.</summary>
    internal void ApplyInitControlWords()
    {
        if (_mxcsrMask != 0)
        {
            return;
        }

        if (_mxcsr == 0)
        {
            _mxcsr = InitMxcsr;
        }

        if (_fcw == 0)
        {
            _fcw = InitFcw;
        }
    }

    /// <summary>Writes what XRSTOR loads for the x87 component in its init state (SDM vol. 1 §13.6): FCW 037FH, the rest zero.</summary>
    internal void SetX87InitState()
    {
        (_fcw, _fsw, _ftw, _fop, _fip, _fdp) = (InitFcw, 0, 0, 0, 0, 0);
        St = default;
    }

    /// <summary>Where the abridged FTW lies (SDM vol. 1 §10.5.1, table 10-2).</summary>
    internal const int AbridgedFtwOffset = RestoreChecks.AbridgedFtwOffset;

    // The register files' places (table 10-2): eight 16-byte ST/MM slots holding 10 register
    // bytes each, sixteen XMM registers, then reserved bytes up to the software-available 464.
    internal const int StOffset = AreaOffsets.Registers, StSlot = 16, StBytes = 10;
    internal const int XmmOffset = AreaOffsets.Xmm;
    internal const int ReservedOffset = AreaOffsets.Reserved;

    // Init values: Intel SDM vol. 1 §13.6 (x87: FCW 037FH; SSE: MXCSR 1F80H).
    internal const ushort InitFcw = 0x037F;
    internal const uint InitMxcsr = 0x1F80;
}
