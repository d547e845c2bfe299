using System.Runtime.CompilerServices;

namespace XSave.Tests.Hardware;

/// <summary>
/// The control-word API and the control-word thunks on this CPU: every value is read back with
/// FXSAVE (an instruction the API does not use), and the arithmetic that follows MXCSR is run
/// in methods the JIT cannot fold, on inputs it cannot know.
/// </summary>
[RequiresX64]
public class FloatingPointControlTests
{
    private const Mxcsr Default = Mxcsr.AllExceptionMasks;
    private LegacyRegion _original;

    [SetUp]
    public void SaveOriginal() => _original.Save();

    [TearDown]
    public void RestoreOriginal() => _original.Load();

    private static LegacyRegion Live()
    {
        LegacyRegion region = default;
        region.Save();
        return region;
    }

    // Inputs the JIT cannot see, in a method it cannot fold or move.
    private static readonly double[] s_inputs = [1.0, 3.0, 1e-310, 0.5];

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Divide(double a, double b) => a / b;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Multiply(double a, double b) => a * b;

    [Test]
    public void The_reads_agree_with_FXSAVE()
    {
        LegacyRegion live = Live();
        Assert.That(FloatingPointControl.Mxcsr, Is.EqualTo(live.Mxcsr));
        Assert.That(FloatingPointControl.X87ControlWord, Is.EqualTo(live.Fcw));
        Assert.That(FloatingPointControl.HasDenormalsAreZeros, Is.EqualTo(((uint)(live.MxcsrMask == 0 ? (Mxcsr)0xFFBF : live.MxcsrMask) & 0x40) != 0));
    }

    [Test]
    public void SetMxcsr_loads_the_word_and_division_rounds_by_it()
    {
        double nearest = Divide(s_inputs[0], s_inputs[1]);
        FloatingPointControl.SetMxcsr(Default | Mxcsr.RoundUp);
        double up = Divide(s_inputs[0], s_inputs[1]);
        Mxcsr loaded = Live().Mxcsr;
        FloatingPointControl.SetMxcsr(_original.Mxcsr);

        Assert.That(loaded & ~Mxcsr.AllExceptionFlags, Is.EqualTo(Default | Mxcsr.RoundUp));
        Assert.That(BitConverter.DoubleToInt64Bits(up), Is.EqualTo(BitConverter.DoubleToInt64Bits(nearest) + 1), "1/3 rounds up to the next double");
    }

    [Test]
    public void SetMxcsr_refuses_a_bit_outside_MXCSR_MASK_and_loads_nothing()
    {
        Mxcsr before = FloatingPointControl.Mxcsr;
        var refused = Assert.Throws<InvalidXSaveAreaException>(() => FloatingPointControl.SetMxcsr(Default | (Mxcsr)(1u << 16)))!;
        Assert.That(refused.Rule, Is.EqualTo(RestoreRule.MxcsrReservedBits));
        Assert.That(refused.Message, Does.Contain("MXCSR_MASK"));
        Assert.That(FloatingPointControl.Mxcsr, Is.EqualTo(before));
    }

    [Test]
    public void SetMxcsr_refuses_an_unmasked_exception_unless_the_caller_allows_it()
    {
        Mxcsr unmasked = Default & ~Mxcsr.ZeroDivideMask;
        var refused = Assert.Throws<InvalidXSaveAreaException>(() => FloatingPointControl.SetMxcsr(unmasked))!;
        Assert.That(refused.Rule, Is.EqualTo(RestoreRule.MxcsrExceptionUnmasked));

        FloatingPointControl.SetMxcsr(unmasked, RestoreHazards.UnmaskedSseExceptions);
        Mxcsr loaded = Live().Mxcsr; // nothing here divides by zero
        FloatingPointControl.SetMxcsr(_original.Mxcsr);
        Assert.That(loaded & ~Mxcsr.AllExceptionFlags, Is.EqualTo(unmasked));
    }

    [Test]
    public void SetX87ControlWord_loads_the_word_and_refuses_an_unmasked_exception()
    {
        X87ControlWord doublePrecision = (_original.Fcw & ~X87ControlWord.ExtendedPrecision) | X87ControlWord.DoublePrecision;
        FloatingPointControl.SetX87ControlWord(doublePrecision);
        Assert.That(Live().Fcw, Is.EqualTo(doublePrecision));

        X87ControlWord before = FloatingPointControl.X87ControlWord;
        var refused = Assert.Throws<InvalidXSaveAreaException>(() => FloatingPointControl.SetX87ControlWord(before & ~X87ControlWord.ZeroDivideMask))!;
        Assert.That(refused.Rule, Is.EqualTo(RestoreRule.X87ExceptionUnmasked));
        Assert.That(FloatingPointControl.X87ControlWord, Is.EqualTo(before));
    }

    [Test]
    public void FlushToZero_flushes_until_the_scope_ends()
    {
        double subnormal = Multiply(s_inputs[2], s_inputs[3]);
        Assert.That(subnormal, Is.Not.Zero, "5e-311 is a subnormal double");
        double flushed;
        Mxcsr inside;
        using (FloatingPointControl.FlushToZero())
        {
            flushed = Multiply(s_inputs[2], s_inputs[3]);
            inside = Live().Mxcsr;
        }

        Assert.That(flushed, Is.Zero);
        Assert.That(inside.HasFlag(Mxcsr.FlushToZero), Is.True);
        Assert.That(inside.HasFlag(Mxcsr.DenormalsAreZeros), Is.EqualTo(FloatingPointControl.HasDenormalsAreZeros));
        Assert.That(Multiply(s_inputs[2], s_inputs[3]), Is.EqualTo(subnormal), "after the scope, subnormals again");
        Assert.That(FloatingPointControl.Mxcsr & ~Mxcsr.AllExceptionFlags, Is.EqualTo(_original.Mxcsr & ~Mxcsr.AllExceptionFlags));
    }

    [Test]
    public void A_scope_restores_the_words_when_an_exception_leaves_it()
    {
        // Seen from a finally outside the scope, which runs after its Dispose during the unwind.
        // Where the catch then resumes is the runtime's: .NET 8, and .NET 10 on Windows (Wine),
        // resume it with the MXCSR of the throw (docs/design.md), so the catch's own word is not
        // the scope's to promise.
        Mxcsr before = FloatingPointControl.Mxcsr & ~Mxcsr.AllExceptionFlags;
        Mxcsr unwound = default;
        try
        {
            try
            {
                using var scope = FloatingPointControl.Rounding(RoundingControl.TowardZero);
                throw new InvalidOperationException("leaves the scope");
            }
            finally
            {
                unwound = FloatingPointControl.Mxcsr & ~Mxcsr.AllExceptionFlags;
            }
        }
        catch (InvalidOperationException)
        {
            FloatingPointControl.SetMxcsr(_original.Mxcsr);
        }

        Assert.That(unwound, Is.EqualTo(before));
    }

    [Test]
    public void Run_puts_the_previous_word_back_for_a_catch_outside_it_and_returns_the_bodys_result()
    {
        Mxcsr before = FloatingPointControl.Mxcsr & ~Mxcsr.AllExceptionFlags;
        Mxcsr inCatch = default;
        try
        {
            FloatingPointControl.Run(Default | Mxcsr.RoundTowardZero, () => throw new InvalidOperationException("leaves Run"));
        }
        catch (InvalidOperationException)
        {
            inCatch = FloatingPointControl.Mxcsr & ~Mxcsr.AllExceptionFlags; // first thing in the catch
        }

        double up = FloatingPointControl.Run(Default | Mxcsr.RoundUp, () => Divide(s_inputs[0], s_inputs[1]));
        Mxcsr after = FloatingPointControl.Mxcsr & ~Mxcsr.AllExceptionFlags;
        Assert.Multiple(() =>
        {
            Assert.That(inCatch, Is.EqualTo(before), "the catch resumes with the word from before Run, on every runtime");
            Assert.That(BitConverter.DoubleToInt64Bits(up), Is.EqualTo(BitConverter.DoubleToInt64Bits(Divide(s_inputs[0], s_inputs[1])) + 1), "the body ran rounding up");
            Assert.That(after, Is.EqualTo(before));
            Assert.That(Assert.Throws<InvalidXSaveAreaException>(() => FloatingPointControl.Run(Default & ~Mxcsr.ZeroDivideMask, () => { }))!.Rule, Is.EqualTo(RestoreRule.MxcsrExceptionUnmasked));
        });
    }

    [Test]
    public void Scopes_nest()
    {
        Mxcsr before = FloatingPointControl.Mxcsr & ~Mxcsr.AllExceptionFlags;
        Mxcsr outer, inner, between;
        using (FloatingPointControl.Rounding(RoundingControl.Up))
        {
            outer = Live().Mxcsr;
            using (FloatingPointControl.FlushToZero())
            {
                inner = Live().Mxcsr;
            }

            between = Live().Mxcsr;
        }

        Assert.That(outer & Mxcsr.RoundTowardZero, Is.EqualTo(Mxcsr.RoundUp));
        Assert.That(inner & (Mxcsr.RoundTowardZero | Mxcsr.FlushToZero), Is.EqualTo(Mxcsr.RoundUp | Mxcsr.FlushToZero));
        Assert.That(between & ~Mxcsr.AllExceptionFlags, Is.EqualTo(outer & ~Mxcsr.AllExceptionFlags));
        Assert.That(FloatingPointControl.Mxcsr & ~Mxcsr.AllExceptionFlags, Is.EqualTo(before));
    }

    [Test]
    public void A_scope_restores_MXCSR_exactly_flags_included()
    {
        // The word the scope found is the one to compare with: compiling this path (the JIT
        // computes in doubles on this thread) may itself set PE before the scope begins.
        FloatingPointControl.SetMxcsr(_original.Mxcsr & ~Mxcsr.AllExceptionFlags);
        Mxcsr found, raisedInside, after;
        var scope = FloatingPointControl.Rounding(RoundingControl.Down);
        try
        {
            found = scope.PreviousMxcsr;
            Divide(s_inputs[0], s_inputs[1]); // 1/3 is inexact: PE
            raisedInside = FloatingPointControl.Mxcsr;
        }
        finally
        {
            scope.Dispose();
            after = FloatingPointControl.Mxcsr; // at once: any later inexact operation sets PE again
        }

        Assert.That(raisedInside.HasFlag(Mxcsr.Precision), Is.True, "read inside the scope, the flags its block raised");
        Assert.That(raisedInside & Mxcsr.RoundTowardZero, Is.EqualTo(Mxcsr.RoundDown));
        Assert.That(after, Is.EqualTo(found), "exactly the word the scope found, flags included");
        Assert.That(after & ~Mxcsr.AllExceptionFlags, Is.EqualTo(_original.Mxcsr & ~Mxcsr.AllExceptionFlags));
    }

    [Test]
    public void A_scope_of_both_words_checks_both_before_loading_either()
    {
        Mxcsr mxcsr = FloatingPointControl.Mxcsr;
        X87ControlWord fcw = FloatingPointControl.X87ControlWord;
        var refused = Assert.Throws<InvalidXSaveAreaException>(() => FloatingPointControl.Scope(Default | Mxcsr.RoundUp, fcw & ~X87ControlWord.OverflowMask).Dispose())!;
        Assert.That(refused.Rule, Is.EqualTo(RestoreRule.X87ExceptionUnmasked));
        Assert.That(FloatingPointControl.Mxcsr, Is.EqualTo(mxcsr));
        Assert.That(FloatingPointControl.X87ControlWord, Is.EqualTo(fcw));

        X87ControlWord single = fcw & ~X87ControlWord.ExtendedPrecision;
        using (FloatingPointControl.Scope(Default | Mxcsr.RoundUp, single))
        {
            LegacyRegion inside = Live();
            Assert.That(inside.Fcw, Is.EqualTo(single));
            Assert.That(inside.Mxcsr & ~Mxcsr.AllExceptionFlags, Is.EqualTo(Default | Mxcsr.RoundUp));
        }

        Assert.That(FloatingPointControl.X87ControlWord, Is.EqualTo(fcw));
    }

    [Test]
    public void Generated_control_word_thunks_read_and_write_as_the_instructions_do()
    {
        Assert.That((Mxcsr)TestThunks.ReadMxcsr(), Is.EqualTo(Live().Mxcsr));
        Assert.That(TestThunks.ReadFcw(), Is.EqualTo(Live().Fcw));

        TestThunks.LoadMxcsr((uint)(Default | Mxcsr.RoundDown));
        Mxcsr loaded = Live().Mxcsr;
        TestThunks.LoadMxcsr((uint)_original.Mxcsr);
        Assert.That(loaded & ~Mxcsr.AllExceptionFlags, Is.EqualTo(Default | Mxcsr.RoundDown));

        X87ControlWord doublePrecision = (_original.Fcw & ~X87ControlWord.ExtendedPrecision) | X87ControlWord.DoublePrecision;
        TestThunks.LoadFcw((ushort)doublePrecision);
        Assert.That(Live().Fcw, Is.EqualTo(doublePrecision));
    }

    [Test]
    public void A_checked_generated_write_is_refused_by_the_restore_rules_and_an_unchecked_one_is_not()
    {
        Mxcsr before = FloatingPointControl.Mxcsr;
        Assert.That(Assert.Throws<InvalidXSaveAreaException>(() => TestThunks.LoadMxcsr((uint)(Default & ~Mxcsr.OverflowMask)))!.Rule, Is.EqualTo(RestoreRule.MxcsrExceptionUnmasked));
        Assert.That(Assert.Throws<InvalidXSaveAreaException>(() => TestThunks.LoadMxcsr((uint)Default | 1u << 16))!.Rule, Is.EqualTo(RestoreRule.MxcsrReservedBits));
        Assert.That(Assert.Throws<InvalidXSaveAreaException>(() => TestThunks.LoadFcw((ushort)(FloatingPointControl.X87ControlWord & ~X87ControlWord.PrecisionMask)))!.Rule, Is.EqualTo(RestoreRule.X87ExceptionUnmasked));
        Assert.That(FloatingPointControl.Mxcsr, Is.EqualTo(before));

        TestThunks.LoadMxcsrUnchecked(Default & ~Mxcsr.OverflowMask); // the caller's word: nothing here overflows
        Mxcsr loaded = Live().Mxcsr;
        TestThunks.LoadMxcsrUnchecked(before);
        Assert.That(loaded & ~Mxcsr.AllExceptionFlags, Is.EqualTo(Default & ~Mxcsr.OverflowMask));
    }
}
