using System;
using System.Runtime;

namespace Internal.Runtime.CompilerHelpers
{
    /// <summary>
    /// ILC requires this class by name, and the code it generates calls these helpers around every
    /// unmanaged call (UEFI services, the XSave thunks). There is no garbage collector to
    /// cooperate with, so the transitions do nothing.
    /// </summary>
    internal static class StartupCodeHelpers
    {
        [RuntimeExport("RhpPInvoke")]
        private static void PInvoke(IntPtr frame)
        {
        }

        [RuntimeExport("RhpPInvokeReturn")]
        private static void PInvokeReturn(IntPtr frame)
        {
        }

        [RuntimeExport("RhpReversePInvoke")]
        private static void ReversePInvoke(IntPtr frame)
        {
        }

        [RuntimeExport("RhpReversePInvokeReturn")]
        private static void ReversePInvokeReturn(IntPtr frame)
        {
        }

        // Where generated code gives up (a failed check the compiler inserted): stop here.
        [RuntimeExport("RhpFallbackFailFast")]
        private static void FailFast()
        {
            while (true)
            {
            }
        }
    }
}
