namespace XSave.Tests.Hardware;

/// <summary>
/// Both x64 calling conventions require an empty x87 stack at every call and return. A state
/// with x87 registers in use, loaded anyway, makes the next x87 code overflow the stack: this
/// measures that, and that <see cref="XSaveArea.Load()"/> refuses such a state unless allowed.
/// </summary>
[RequiresXSave]
public unsafe class X87StackTests : RestoresCpuState
{
    // What x87 code such as a C library's long double function does first: push a value, then
    // store it. Writes the stored double to [RDI] and FSW to [RSI].
    private static readonly Lazy<nint> PushOneAndStore = new(() => TestCode.Map(c =>
    {
        c.fld1();
        c.fstp(__qword_ptr[rdi]);
        c.fnstsw(__word_ptr[rsi]);
        c.ret();
    }));

    [Test]
    public void A_full_x87_stack_is_refused_and_when_allowed_the_next_x87_code_computes_NaN()
    {
        XSaveArea full = _original;
        full.Header.XStateBv |= XFeatures.X87;
        full.Legacy.AbridgedFtw = 0xFF; // all eight registers in use, as after MMX code or eight pushes

        var refused = Assert.Throws<InvalidXSaveAreaException>(() => full.Load());
        (double afterRefusal, _) = PushOne();

        full.Load(RestoreHazards.X87RegistersInUse);
        (double overflowed, ushort status) = PushOne();
        _original.Load();

        Assert.Multiple(() =>
        {
            Assert.That(refused!.Rule, Is.EqualTo(RestoreRule.X87RegistersInUse));
            Assert.That(refused.Field, Is.EqualTo("FTW"));
            Assert.That(afterRefusal, Is.EqualTo(1.0), "nothing was loaded: the stack is still empty");
        });
        if ((status & StackFault) == 0 && overflowed == 1.0)
        {
            Assert.Ignore("This CPU does not model x87 stack overflow (qemu's TCG pushes onto a full stack without a fault): nothing to measure.");
        }

        Assert.Multiple(() =>
        {
            Assert.That(double.IsNaN(overflowed), Is.True, $"pushing onto a full stack gives the indefinite NaN, not 1.0 (got {overflowed})");
            Assert.That(status & (StackFault | InvalidOperation), Is.EqualTo(StackFault | InvalidOperation), "FSW: stack fault and invalid operation, masked, so nothing traps");
        });
    }

    [Test]
    public void An_aligned_legacy_region_with_x87_registers_in_use_is_refused()
    {
        // LegacyRegion.Load once sent an aligned region with every mask set straight to FXRSTOR,
        // without looking at FTW.
        using var buffer = new AlignedBuffer(LegacyRegion.Size + 16);
        var aligned = (LegacyRegion*)buffer.Pointer;
        *aligned = _original.Legacy;
        aligned->AbridgedFtw = 0x01;
        var refused = Assert.Throws<InvalidXSaveAreaException>(() => aligned->Load());
        (double afterRefusal, _) = PushOne();
        Assert.Multiple(() =>
        {
            Assert.That(refused!.Rule, Is.EqualTo(RestoreRule.X87RegistersInUse));
            Assert.That(afterRefusal, Is.EqualTo(1.0), "nothing was loaded");
        });
    }

    private const ushort InvalidOperation = 1 << 0, StackFault = 1 << 6; // FSW.IE, FSW.SF (SDM vol. 1 §8.1.3)

    private static (double Value, ushort Status) PushOne()
    {
        double value = 0;
        ushort status = 0;
        ((delegate* unmanaged<double*, ushort*, void>)PushOneAndStore.Value)(&value, &status);
        return (value, status);
    }
}
