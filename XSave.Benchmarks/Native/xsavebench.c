/* The native baselines for XSave.Benchmarks, built with gcc when the benchmarks start:
 *   *_loop   - inline assembly in a C loop: the physical limit of each instruction pair;
 *   *_pair   - one pair per call: the cheapest P/Invoke alternative (one transition);
 *   xsave64_one, xrstor64_one - one instruction per call: what a C# user with separate save
 *              and restore operations would otherwise P/Invoke into;
 *   switch_* - a context switch: save into one area, restore from another (XSAVE or XSAVEC);
 *              switch_pair is one switch per call, the loops ping-pong between two areas:
 *              inline (no call at all), or through a call to a function that switches (what a
 *              C scheduler's switch function costs);
 *   map_read_execute - the thunk mapping done in C (mmap, copy, mprotect): its floor.
 * The mask is the library's: XSaveArea.SafeFeatures (0xA02FF) in EDX:EAX. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define MASK 0xA02FFu
#define PAIR(save, restore) \
    __asm__ volatile(save " (%0)\n\t" restore " (%0)" :: "r"(area), "a"(MASK), "d"(0) : "memory")

void xsave_xrstor_loop(void *area, long n)    { for (long i = 0; i < n; i++) PAIR("xsave64", "xrstor64"); }
void xsavec_xrstor_loop(void *area, long n)   { for (long i = 0; i < n; i++) PAIR("xsavec64", "xrstor64"); }
void fxsave_fxrstor_loop(void *area, long n)
{
    for (long i = 0; i < n; i++)
        __asm__ volatile("fxsave64 (%0)\n\tfxrstor64 (%0)" :: "r"(area) : "memory");
}
uint64_t xgetbv_loop(long n)
{
    uint64_t sum = 0;
    for (long i = 0; i < n; i++) {
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        sum += ((uint64_t)hi << 32) | lo;
    }
    return sum;
}
void xsave_xrstor_pair(void *area) { PAIR("xsave64", "xrstor64"); }

#define SWITCH(save, from, to) \
    __asm__ volatile(save " (%0)\n\txrstor64 (%1)" :: "r"(from), "r"(to), "a"(MASK), "d"(0) : "memory")
void switch_pair(void *from, void *to) { SWITCH("xsave64", from, to); }
/* n round trips, 2n switches */
void switch_loop(void *a, void *b, long n)
{
    for (long i = 0; i < n; i++) { SWITCH("xsave64", a, b); SWITCH("xsave64", b, a); }
}
__attribute__((noinline)) void switch_function(void *from, void *to) { SWITCH("xsave64", from, to); }
void switch_call_loop(void *a, void *b, long n)
{
    for (long i = 0; i < n; i++) { switch_function(a, b); switch_function(b, a); }
}
/* Both areas are first saved compacted, so each XRSTOR reads a compacted image. */
void switchc_loop(void *a, void *b, long n)
{
    __asm__ volatile("xsavec64 (%0)\n\txsavec64 (%1)" :: "r"(a), "r"(b), "a"(MASK), "d"(0) : "memory");
    for (long i = 0; i < n; i++) { SWITCH("xsavec64", a, b); SWITCH("xsavec64", b, a); }
}
void xsave64_one(void *area)  { __asm__ volatile("xsave64 (%0)" :: "r"(area), "a"(MASK), "d"(0) : "memory"); }
void xrstor64_one(void *area) { __asm__ volatile("xrstor64 (%0)" :: "r"(area), "a"(MASK), "d"(0) : "memory"); }
void *map_read_execute(const void *code, size_t n)
{
    size_t length = (n + 4095) & ~(size_t)4095;
    void *page = mmap(0, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return 0;
    memcpy(page, code, n);
    if (mprotect(page, length, PROT_READ | PROT_EXEC) != 0) {
        munmap(page, length);
        return 0;
    }
    return page;
}
/* The control words alone: n reads, and n flush-to-zero set-then-restore pairs. */
uint32_t stmxcsr_loop(long n)
{
    uint32_t sum = 0;
    for (long i = 0; i < n; i++) {
        uint32_t mxcsr;
        __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
        sum += mxcsr;
    }
    return sum;
}
uint32_t fnstcw_loop(long n)
{
    uint32_t sum = 0;
    for (long i = 0; i < n; i++) {
        uint16_t fcw;
        __asm__ volatile("fnstcw %0" : "=m"(fcw));
        sum += fcw;
    }
    return sum;
}
void mxcsr_scope_loop(long n)
{
    for (long i = 0; i < n; i++) {
        uint32_t previous, flushing;
        __asm__ volatile("stmxcsr %0" : "=m"(previous));
        flushing = previous | 0x8040; /* FTZ and DAZ */
        __asm__ volatile("ldmxcsr %0" :: "m"(flushing));
        __asm__ volatile("ldmxcsr %0" :: "m"(previous));
    }
}
