using System;
using System.Buffers.Binary;

namespace XSave.Stress;

/// <summary>
/// What an area means for x87, SSE and AVX (the components this harness compares): a component
/// whose XSTATE_BV bit is clear is in its init state whatever its bytes say. The AVX slot is at
/// 576 in both formats as long as no component below it is laid out, which holds for bits 0–2.
/// </summary>
internal readonly record struct EffectiveState(ushort Fcw, ushort Fsw, byte Ftw, string St, uint Mxcsr, string Xmm, string YmmHigh)
{
    public static EffectiveState Of(in XSaveArea area, XFeatures rfbm)
    {
        ReadOnlySpan<byte> bytes = area.AsReadOnlySpan();
        XFeatures inUse = area.Header.XStateBv & rfbm;
        bool x87 = inUse.HasFlag(XFeatures.X87), sse = inUse.HasFlag(XFeatures.Sse), avx = inUse.HasFlag(XFeatures.Avx);
        // Measured (docs/xsave-behaviour.md): FCW bit 6 reads as 1 and bits 7, 13–15 as 0;
        // FSW bits 7 (ES) and 15 (B) are recomputed from the unmasked exception flags; a compacted
        // restore loads MXCSR only when SSE is in XSTATE_BV (AVX alone is not enough), else 0x1F80.
        ushort fcw = (ushort)((BinaryPrimitives.ReadUInt16LittleEndian(bytes) & 0x1F3F) | 0x0040);
        ushort fsw = BinaryPrimitives.ReadUInt16LittleEndian(bytes[2..]);
        bool pending = (fsw & ~fcw & 0x3F) != 0;
        fsw = (ushort)((fsw & ~0x8080) | (pending ? 0x8080 : 0));
        bool mxcsrFromMemory = !area.Header.IsCompacted || sse;
        return new EffectiveState(
            x87 ? fcw : (ushort)0x037F,
            x87 ? fsw : (ushort)0,
            x87 ? bytes[4] : (byte)0,
            x87 ? StRegisters(bytes) : new string('0', 8 * 20),
            mxcsrFromMemory ? BinaryPrimitives.ReadUInt32LittleEndian(bytes[24..]) : 0x1F80u,
            sse ? Convert.ToHexString(bytes.Slice(160, 256)) : new string('0', 512),
            avx ? Convert.ToHexString(bytes.Slice(576, 256)) : new string('0', 512));
    }

    // The 80-bit value of each slot; bytes 10–15 are reserved and not kept by the CPU.
    private static string StRegisters(ReadOnlySpan<byte> bytes)
    {
        var text = new System.Text.StringBuilder(160);
        for (int i = 0; i < 8; i++)
        {
            text.Append(Convert.ToHexString(bytes.Slice(32 + (16 * i), 10)));
        }

        return text.ToString();
    }

    public string? FirstDifference(EffectiveState other) =>
        Fcw != other.Fcw ? $"FCW {Fcw:X4} {other.Fcw:X4}" :
        Fsw != other.Fsw ? $"FSW {Fsw:X4} {other.Fsw:X4}" :
        Ftw != other.Ftw ? $"FTW {Ftw:X2} {other.Ftw:X2}" :
        St != other.St ? "ST" :
        Mxcsr != other.Mxcsr ? $"MXCSR {Mxcsr:X8} {other.Mxcsr:X8}" :
        Xmm != other.Xmm ? "XMM" :
        YmmHigh != other.YmmHigh ? "YMM_Hi128" : null;
}
