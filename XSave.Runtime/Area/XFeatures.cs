// Compiled into the generator too (linked source, as System.Text.Json's generator shares its
// enums), internal and in a namespace of its own there: one definition, never two that could disagree.
#if XSAVE_GENERATOR
namespace XSave.Generators.Shared;
#else
namespace XSave;
#endif

/// <summary>
/// The XSAVE state components: bit <c>i</c> is component <c>i</c> of XCR0, XSTATE_BV and XCOMP_BV
/// (Intel SDM vol. 1 §13.1, table 13-1; AMD APM vol. 2 §11.5.2).
/// </summary>
[Flags]
#if XSAVE_GENERATOR
internal
#else
public
#endif
enum XFeatures : ulong
{
    /// <summary>No component.</summary>
    None = 0,
    /// <summary>Bit 0: x87 state (FCW, FSW, FTW, FOP, FIP, FDP, ST0–ST7).</summary>
    X87 = 1UL << 0,
    /// <summary>Bit 1: SSE state (XMM0–XMM15 and MXCSR).</summary>
    Sse = 1UL << 1,
    /// <summary>Bit 2: AVX state, the upper halves of YMM0–YMM15 (YMM_Hi128).</summary>
    Avx = 1UL << 2,
    /// <summary>Bit 3: MPX bound registers BND0–BND3 (BNDREGS).</summary>
    MpxBndRegs = 1UL << 3,
    /// <summary>Bit 4: MPX configuration and status, BNDCFGU and BNDSTATUS (BNDCSR).</summary>
    MpxBndCsr = 1UL << 4,
    /// <summary>Bit 5: AVX-512 opmask registers K0–K7.</summary>
    Avx512Opmask = 1UL << 5,
    /// <summary>Bit 6: AVX-512 upper 256 bits of ZMM0–ZMM15 (ZMM_Hi256).</summary>
    Avx512ZmmHi256 = 1UL << 6,
    /// <summary>Bit 7: AVX-512 registers ZMM16–ZMM31 (Hi16_ZMM).</summary>
    Avx512Hi16Zmm = 1UL << 7,
    /// <summary>Bit 8: processor trace (supervisor, XSAVES only).</summary>
    ProcessorTrace = 1UL << 8,
    /// <summary>Bit 9: the protection-key rights register PKRU.</summary>
    Pkru = 1UL << 9,
    /// <summary>Bit 10: PASID (supervisor, XSAVES only).</summary>
    Pasid = 1UL << 10,
    /// <summary>Bit 11: CET user state (supervisor, XSAVES only).</summary>
    CetUser = 1UL << 11,
    /// <summary>Bit 12: CET supervisor state (supervisor, XSAVES only).</summary>
    CetSupervisor = 1UL << 12,
    /// <summary>Bit 13: hardware duty cycling (supervisor, XSAVES only).</summary>
    Hdc = 1UL << 13,
    /// <summary>Bit 14: user interrupts (supervisor, XSAVES only).</summary>
    Uintr = 1UL << 14,
    /// <summary>Bit 15: architectural last-branch records (supervisor, XSAVES only).</summary>
    Lbr = 1UL << 15,
    /// <summary>Bit 16: hardware P-states (supervisor, XSAVES only).</summary>
    Hwp = 1UL << 16,
    /// <summary>Bit 17: AMX tile configuration TILECFG (64 bytes).</summary>
    AmxTileConfig = 1UL << 17,
    /// <summary>Bit 18: AMX tile data TMM0–TMM7 (8 KiB: never saved by this library, it does not fit the page).</summary>
    AmxTileData = 1UL << 18,
    /// <summary>Bit 19: APX extended general-purpose registers R16–R31.</summary>
    Apx = 1UL << 19,
}
