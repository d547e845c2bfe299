/* A Windows program that dumps itself with dbghelp's MiniDumpWriteDump, built with mingw-w64 and
 * run under Wine by MinidumpProducerTests. Two threads hold known XMM0-XMM5, MXCSR and FCW values
 * in machine code while the dump is written; the main thread loads its own and faults, and the
 * dump is written from the exception handler with the fault's context. Usage: minidump.exe OUT.dmp
 *
 * The values: thread k (1 or 2) has XMMi byte j = 0x10*k + 0x20*i + j (i 0-5, j 0-15), MXCSR
 * 0x1F80 | k<<13 (rounding down, up), FCW 0x027F | k<<10; the faulting thread (k = 3) likewise,
 * with MXCSR 0x7F80 and FCW 0x0E7F. */
#include <windows.h>
#include <dbghelp.h>
#include <stdio.h>

static volatile LONG ready;
static volatile LONG release_threads;
static const char *path;

struct values { unsigned char xmm[6][16]; unsigned int mxcsr; unsigned short fcw; };
static struct values held[4];

static void fill(int k, unsigned int mxcsr, unsigned short fcw)
{
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 16; j++)
            held[k].xmm[i][j] = (unsigned char)(0x10 * k + 0x20 * i + j);
    held[k].mxcsr = mxcsr;
    held[k].fcw = fcw;
}

/* Loads the values, counts itself ready, and spins until released: nothing touches the registers. */
static DWORD WINAPI hold(LPVOID parameter)
{
    struct values *v = &held[(int)(INT_PTR)parameter];
    __asm__ volatile(
        "movdqu 0(%0), %%xmm0\n\t" "movdqu 16(%0), %%xmm1\n\t" "movdqu 32(%0), %%xmm2\n\t"
        "movdqu 48(%0), %%xmm3\n\t" "movdqu 64(%0), %%xmm4\n\t" "movdqu 80(%0), %%xmm5\n\t"
        "ldmxcsr 96(%0)\n\t" "fldcw 100(%0)\n\t"
        "lock incl %1\n"
        "1:\tpause\n\t" "cmpl $0, %2\n\t" "je 1b\n\t"
        : : "r"(v), "m"(ready), "m"(release_threads)
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "memory", "cc");
    return 0;
}

static LONG WINAPI dump(EXCEPTION_POINTERS *exception)
{
    HANDLE file = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    MINIDUMP_EXCEPTION_INFORMATION info = { GetCurrentThreadId(), exception, FALSE };
    BOOL written = file != INVALID_HANDLE_VALUE && MiniDumpWriteDump(GetCurrentProcess(), GetCurrentProcessId(), file, MiniDumpNormal, &info, NULL, NULL);
    CloseHandle(file);
    fprintf(stderr, written ? "dumped\n" : "MiniDumpWriteDump failed: %lu\n", GetLastError());
    ExitProcess(written ? 0 : 2);
}

int main(int argc, char **argv)
{
    if (argc != 2)
    {
        fprintf(stderr, "usage: minidump.exe OUT.dmp\n");
        return 1;
    }

    path = argv[1];
    fill(1, 0x1F80 | 1 << 13, 0x027F | 1 << 10);
    fill(2, 0x1F80 | 2 << 13, 0x027F | 2 << 10);
    fill(3, 0x7F80, 0x0E7F);
    HANDLE threads[2];
    for (int k = 1; k <= 2; k++)
        threads[k - 1] = CreateThread(NULL, 0, hold, (LPVOID)(INT_PTR)k, 0, NULL);
    while (ready < 2)
        Sleep(1);

    printf("%lu %lu %lu\n", GetThreadId(threads[0]), GetThreadId(threads[1]), GetCurrentThreadId());
    fflush(stdout);
    AddVectoredExceptionHandler(1, dump);
    struct values *v = &held[3];
    __asm__ volatile(
        "movdqu 0(%0), %%xmm0\n\t" "movdqu 16(%0), %%xmm1\n\t" "movdqu 32(%0), %%xmm2\n\t"
        "movdqu 48(%0), %%xmm3\n\t" "movdqu 64(%0), %%xmm4\n\t" "movdqu 80(%0), %%xmm5\n\t"
        "ldmxcsr 96(%0)\n\t" "fldcw 100(%0)\n\t"
        "movl $0, 0\n\t"
        : : "r"(v) : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "memory");
    return 3;
}
