/* A Windows DLL that does what drivers and plug-ins are blamed for: its DllMain sets the x87
   rounding up in the thread that loads it. .ci/run builds it with mingw-w64 for 'xsave watch'
   under Wine (XSave.Stress change-words --library). */
#include <windows.h>

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    if (reason == DLL_PROCESS_ATTACH) {
        unsigned short fcw;
        __asm__ volatile("fnstcw %0" : "=m"(fcw));
        fcw = (unsigned short)((fcw & ~0x0C00) | 0x0800);
        __asm__ volatile("fldcw %0" :: "m"(fcw));
    }
    return TRUE;
}
