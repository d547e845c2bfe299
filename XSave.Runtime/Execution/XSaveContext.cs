namespace XSave;

/// <summary>
/// An XSAVE area the library owns, for hot save/restore cycles such as a fiber's extended state:
/// <see cref="Save"/> and <see cref="Restore"/> are the bare instructions. No check is needed
/// because the caller can read the area but never write it, so it only ever holds images this
/// CPU saved or states checked on the way in (docs/design.md). The context holds this CPU's
/// standard format and saves with XSAVEOPT where the CPU has it: a save after the context's own
/// restore skips the components not modified since (the modified optimization) and those in their
/// init state; the contract XSAVEOPT needs — the memory not written since that restore — is the
/// context's to keep, and it does (a save after <see cref="CopyFrom"/> is a full XSAVE). A new
/// context holds the processor's init state (FCW 0x037F: Windows starts threads at 0x027F, so
/// start a Windows fiber from a saved state to keep its defaults). Use a context from one thread
/// at a time. A context owns no native resource: its page is a pinned managed array, released by
/// the garbage collector, so it is not <see cref="IDisposable"/>.
/// </summary>
public sealed unsafe class XSaveContext
{
    private readonly AlignedXSaveArea _memory;
    private readonly XSaveArea* _area; // cached: the hot paths pass it straight to the instruction
    private readonly bool _optimised; // XSAVEOPT on this CPU
    // True while the memory holds bytes software wrote (a new context, CopyFrom) rather than a save:
    // XSAVEOPT's modified optimization would keep them where it skips a component, so the next
    // save is a full XSAVE. A context at the address of a collected one must not inherit its tracking.
    private bool _written = true;

    /// <summary>Creates a context holding the init state.</summary>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64, or XSAVE is not enabled.</exception>
    public XSaveContext()
    {
        Processor.EnsureReady(); // throws where XSAVE cannot run, and reads the layout descriptor below
        _memory = new AlignedXSaveArea();
        _area = _memory.Pointer;
        _optimised = Processor.Profile.HasXSaveOpt;
        Processor.LayoutDescriptorBytes.CopyTo(_area->AsSpan()[LayoutDescriptor.Offset..]);
    }

    /// <summary>
    /// Creates a context holding <paramref name="state"/>, checked as <see cref="XSaveArea.Load()"/>
    /// checks it, without loading it: this thread's registers are not touched. A fiber's first
    /// state, or a test's chosen registers, built with the setters.
    /// </summary>
    /// <param name="state">The state the first <see cref="Restore"/> loads.</param>
    /// <exception cref="InvalidXSaveAreaException">The state breaks a restore rule; see <see cref="CopyFrom"/>.</exception>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64, or XSAVE is not enabled.</exception>
    public XSaveContext(in XSaveArea state)
        : this() => CopyFrom(in state);

    /// <summary>
    /// A read-only view of the saved image, to inspect or copy (<c>XSaveArea copy = context.Area;</c>).
    /// Writing through it does not compile: a write would void the guarantee that lets
    /// <see cref="Restore"/> skip every check. Change a context's state with <see cref="CopyFrom"/>.
    /// </summary>
    public ReadOnlyXSaveArea Area => new(ref _memory.Area);

    /// <summary>
    /// Replaces the context's state with <paramref name="state"/>, checked as
    /// <see cref="XSaveArea.Load(RestoreHazards)"/> checks it (every rule whose violation would
    /// fault, and the hazards not in <paramref name="allowed"/>), without loading it, converted
    /// to the format the context's save writes (this CPU's standard layout). A refused state
    /// leaves the context as it was.
    /// </summary>
    /// <param name="state">The state.</param>
    /// <param name="allowed">The hazards the caller accepts in what <see cref="Restore"/> will load.</param>
    /// <exception cref="InvalidXSaveAreaException">The state breaks a restore rule; nothing changed.</exception>
    public void CopyFrom(in XSaveArea state, RestoreHazards allowed = RestoreHazards.None)
    {
        // Checked on a copy: the caller's bytes cannot change between the check and the store.
        XSaveArea copy = default;
        fixed (XSaveArea* source = &state)
        {
            XSaveArea.CopyWhatXRstorReads(source, &copy);
        }

        copy.Legacy.ApplyInitControlWords(); // judged as XRSTOR would load it
        RestoreValidation.ThrowIfInvalid(in copy, XSaveArea.SafeFeatures, Processor.Profile, allowed);
        copy.Header.XStateBv &= XSaveArea.SavedFeatures; // what XRSTOR with the context's mask acts on
        if (copy.Header.IsCompacted)
        {
            // Every component it holds is saved here, so this CPU's layout has a slot for each in the page.
            copy = FormatConversion.ToStandard(in copy, CpuidLeaves.Layout!);
        }

        Processor.LayoutDescriptorBytes.CopyTo(copy.AsSpan()[LayoutDescriptor.Offset..]);
        *_area = copy;
        _written = true;
    }

    /// <summary>Saves this thread's extended state (<see cref="XSaveArea.SavedFeatures"/>) into the context with XSAVEOPT64 (or XSAVE64 where the CPU has no XSAVEOPT).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Save()
    {
        if (_optimised & !_written)
        {
            Instructions.XSaveOpt64(_area);
        }
        else
        {
            SaveFully();
        }

        GC.KeepAlive(this); // the instruction writes through a raw pointer: the memory must outlive it
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SaveFully()
    {
        Instructions.XSave64(_area);
        _written = false;
    }

    /// <summary>
    /// Switches this thread from this context to <paramref name="next"/> in one call: XSAVEOPT64 (or
    /// XSAVE64) of the thread's state into this context, then XRSTOR64 of <paramref name="next"/>'s, in one
    /// piece of machine code, as a fiber or green-thread scheduler switches. The only check is
    /// that <paramref name="next"/> is another context: every context of this process holds a
    /// state of this CPU's layout (its own saves, or states checked on the way in), so there is
    /// nothing else to check per call.
    /// </summary>
    /// <param name="next">The context to switch to.</param>
    /// <exception cref="ArgumentException"><paramref name="next"/> is this context (the switch would save over what it restores).</exception>
    /// <exception cref="ArgumentNullException"><paramref name="next"/> is null.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SwitchTo(XSaveContext next)
    {
        if (next == this || next is null)
        {
            ThrowInvalidSwitch(next);
        }

        if (_optimised & !_written)
        {
            Instructions.XSaveOptXRstor64(_area, next._area);
        }
        else
        {
            Instructions.XSaveXRstor64(_area, next._area);
            _written = false;
        }

        GC.KeepAlive(this);
        GC.KeepAlive(next);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowInvalidSwitch(XSaveContext? next)
    {
        ArgumentNullException.ThrowIfNull(next);
        throw new ArgumentException("A context cannot switch to itself: XSAVE would overwrite the state XRSTOR is about to load. Use Save and Restore.", nameof(next));
    }

    /// <summary>Restores this thread's extended state from the context with XRSTOR64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Restore()
    {
        Instructions.XRstor64(_area);
        GC.KeepAlive(this);
    }
}
