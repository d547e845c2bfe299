using static XSave.Diagnostics.WindowsThreads;

namespace XSave.Diagnostics;

// Windows: SuspendThread stops the thread; Get/SetThreadContext with CONTEXT_XSTATE move its state.
public sealed unsafe partial class TracedThread
{
    private nint _handle;

    private static TracedThread AttachWindows(int threadId)
    {
        if (threadId == GetCurrentThreadId())
        {
            throw new ThreadTracingException("SuspendThread", threadId, "a thread cannot stop itself: attach from another thread.");
        }

        nint handle = OpenThread(ThreadAccess, 0, threadId);
        if (handle == 0)
        {
            throw ThreadTracingException.FromWin32("OpenThread", threadId, Marshal.GetLastPInvokeError());
        }

        if (SuspendThread(handle) == Failed)
        {
            int error = Marshal.GetLastPInvokeError();
            CloseHandle(handle);
            throw ThreadTracingException.FromWin32("SuspendThread", threadId, error);
        }

        return new TracedThread(threadId) { _handle = handle };
    }

    private void ResumeWindows()
    {
        ResumeThread(_handle);
        CloseHandle(_handle);
    }

    // A CONTEXT (16-byte aligned) asking for the floating-point part only: FltSave, no XSTATE.
    private ControlWords ReadWindowsControlWords()
    {
        byte* buffer = stackalloc byte[WindowsContext.Amd64Size + 16];
        byte* context = (byte*)(((nuint)buffer + 15) & ~(nuint)15);
        new Span<byte>(context, WindowsContext.Amd64Size).Clear();
        *(uint*)(context + WindowsContext.Amd64FlagsOffset) = ContextFloatingPoint;
        Check(GetThreadContext(_handle, context), "GetThreadContext");
        return ControlWords.FromLegacyRegion(new ReadOnlySpan<byte>(context + WindowsContext.Amd64FltSaveOffset, LegacyRegion.Size));
    }

    // The context's legacy region is FltSave (512 bytes, the FXSAVE format); each extended
    // feature sits where LocateXStateFeature says, and is placed at this CPU's standard offset.
    private XSaveImage ReadWindowsContext()
    {
        XSaveLayout layout = XSaveLayout.Current ?? throw new PlatformNotSupportedException("Reading a thread's context needs an x86-64 CPU.");
        XFeatures enabled = EnabledForContexts();
        XSaveArea area = default;
        XFeatures inUse = XFeatures.X87 | XFeatures.Sse, dropped = XFeatures.None;
        void* context = NewContext(enabled, out void* buffer);
        try
        {
            Check(GetThreadContext(_handle, context), "GetThreadContext");
            new ReadOnlySpan<byte>(LocateXStateFeature(context, 0, null), LegacyRegion.Size).CopyTo(area.AsSpan());
            ulong mask = 0;
            if (HasExtendedFeatures(enabled))
            {
                Check(GetXStateFeaturesMask(context, &mask), "GetXStateFeaturesMask");
            }

            foreach (XFeatures component in ((XFeatures)mask & enabled & ~(XFeatures.X87 | XFeatures.Sse)).Components())
            {
                uint length;
                byte* bytes = (byte*)LocateXStateFeature(context, (uint)XSaveLayout.Bit(component), &length);
                if (bytes is null || layout.Slot(component) is not { } slot || slot.End > XSaveArea.Size)
                {
                    dropped |= component; // not in the context, or past the page (AMX tile data)
                    continue;
                }

                new ReadOnlySpan<byte>(bytes, Math.Min((int)length, slot.Size)).CopyTo(area.AsSpan().Slice(slot.Offset));
                inUse |= component;
            }
        }
        finally
        {
            NativeMemory.Free(buffer);
        }

        area.Header.XStateBv = inUse;
        return XSaveImage.OfThreadContext(area, layout, enabled, dropped);
    }

    private void WriteWindowsContext(in XSaveArea judged, XFeatures enabled, XSaveLayout layout)
    {
        XSaveArea area = judged;
        XFeatures inUse = area.Header.XStateBv & enabled;
        // FltSave is always loaded: it gets what XRSTOR would load for a component in its init state.
        if ((inUse & XFeatures.X87) == 0)
        {
            area.Legacy.SetX87InitState();
        }

        if ((inUse & XFeatures.Sse) == 0)
        {
            area.Legacy.Xmm = default;
        }

        void* context = NewContext(enabled, out void* buffer);
        try
        {
            Check(GetThreadContext(_handle, context), "GetThreadContext");
            area.AsReadOnlySpan()[..LegacyRegion.Size].CopyTo(new Span<byte>(LocateXStateFeature(context, 0, null), LegacyRegion.Size));
            *(uint*)((byte*)context + ContextMxcsrOffset) = (uint)area.Legacy.Mxcsr;
            if (HasExtendedFeatures(enabled))
            {
                foreach (XFeatures component in (enabled & ~(XFeatures.X87 | XFeatures.Sse)).Components())
                {
                    uint length;
                    byte* bytes = (byte*)LocateXStateFeature(context, (uint)XSaveLayout.Bit(component), &length);
                    if (bytes is null)
                    {
                        continue;
                    }

                    var target = new Span<byte>(bytes, (int)length);
                    target.Clear();
                    if ((inUse & component) != 0 && layout.Slot(component) is { } slot && slot.End <= XSaveArea.Size)
                    {
                        area.AsReadOnlySpan().Slice(slot.Offset, Math.Min((int)length, slot.Size)).CopyTo(target);
                    }
                }

                Check(SetXStateFeaturesMask(context, (ulong)(inUse | XFeatures.X87 | XFeatures.Sse)), "SetXStateFeaturesMask");
            }

            Check(SetThreadContext(_handle, context), "SetThreadContext");
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    // The features Windows keeps in thread contexts (it may enable fewer than XCR0 does).
    private static XFeatures EnabledForContexts() => (XFeatures)GetEnabledXStateFeatures() | XFeatures.X87 | XFeatures.Sse;

    private static bool HasExtendedFeatures(XFeatures enabled) => (enabled & ~(XFeatures.X87 | XFeatures.Sse)) != 0;

    // A CONTEXT with its CONTEXT_EX extended area, in a buffer InitializeContext sizes and aligns;
    // the caller frees the buffer.
    private void* NewContext(XFeatures enabled, out void* buffer)
    {
        uint flags = HasExtendedFeatures(enabled) ? ContextFloatingPoint | ContextXState : ContextFloatingPoint;
        uint length = 0;
        void* context;
        InitializeContext(null, flags, &context, &length); // fails, saying how long the buffer must be
        buffer = NativeMemory.Alloc(length);
        try
        {
            Check(InitializeContext(buffer, flags, &context, &length), "InitializeContext");
            if (HasExtendedFeatures(enabled))
            {
                Check(SetXStateFeaturesMask(context, (ulong)enabled), "SetXStateFeaturesMask");
            }

            return context;
        }
        catch
        {
            NativeMemory.Free(buffer);
            throw;
        }
    }

    private void Check(int result, string operation)
    {
        if (result == 0)
        {
            throw ThreadTracingException.FromWin32(operation, ThreadId, Marshal.GetLastPInvokeError());
        }
    }
}
