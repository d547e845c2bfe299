/* The floor of a checked, race-proof save+restore pair on this CPU: the steps XSaveArea's Save
 * and Load run in the runtime's machine code, written inline in one C loop (no calls, no
 * managed code), timed against the bare XSAVE64+XRSTOR64 pair in the same process. Each round
 * runs every case once in a fresh random order; a ratio is the median of the per-round ratios,
 * as in the Interleaved harness. What the library costs above these figures is its calls and
 * its managed wrappers (docs/benchmarks.md, "Where a checked pair's time goes").
 *
 *   gcc -O2 -o checked-floor XSave.Benchmarks/Native/checked-floor.c && ./checked-floor 301
 *
 * Needs AVX enabled in XCR0 (the checks are the VEX form's). The cases:
 *   pair             XSAVE64 then XRSTOR64 of one area (the limit);
 *   restore steps    XSAVE64, then the checked restore's steps: the bytes the checks read (FCW to
 *                    MXCSR_MASK, bytes 464-575, PKRU's lane) loaded once, stored into a
 *                    scratch area and checked in registers; XMM and AVX's upper halves loaded from the
 *                    area; XRSTOR64 of the scratch without SSE and AVX; LDMXCSR of the checked MXCSR;
 *   + save check     the same, with the save's check in front of XSAVE64 (bytes 464-575 compared
 *                    in general-purpose registers with what an aligned save leaves there);
 *   no vector loads  the restore steps without the 32 vector loads (what those loads cost);
 *   full copy        the restore steps copying XMM and AVX's upper halves into the scratch too,
 *                    then XRSTOR64 of every component (the design the loads replaced). */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MASK 0xA02FFu /* XSaveArea.SafeFeatures */
#define RESTORE_MASK (MASK & ~6u) /* SSE and AVX are loaded by instructions */
#define PAIRS 2000

static uint8_t area[4096] __attribute__((aligned(64)));
static uint8_t scratch[4096] __attribute__((aligned(64)));
/* The checks' lanes, in the shape of the runtime's RestorePlan (not its offsets): a chunk passes when
 * (chunk ^ expected) & rejects is zero. Control lanes (FCW to MXCSR_MASK) at 0 and 32; bytes
 * 464-575 at 64 and 192 (the descriptor as saved here, then a clean header: no XSTATE_BV bit
 * outside the saved set, XCOMP_BV and the reserved bytes zero); PKRU's rejects at 320. */
static uint8_t plan[352] __attribute__((aligned(64)));
static uint64_t saved_set; /* XCR0 within the library's mask */
static long pkru_lane; /* PKRU's slot, or the first register lane where PKRU is off */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static inline void xsave(void *p) { __asm__ volatile("xsave64 (%0)" :: "r"(p), "a"(MASK), "d"(0) : "memory"); }
static inline void xrstor(void *p, uint32_t m) { __asm__ volatile("xrstor64 (%0)" :: "r"(p), "a"(m), "d"(0) : "memory"); }

/* One checked chunk of 32 bytes (16 with X): loaded once, stored into the scratch, its
 * differences ORed into YMM1. */
#define CHUNK(at, expected, rejects) \
    "vmovdqu " #at "(%[a]), %%ymm0\n\t" "vmovdqu %%ymm0, " #at "(%[s])\n\t" \
    "vxorps " #expected "(%[p]), %%ymm0, %%ymm0\n\t" "vandps " #rejects "(%[p]), %%ymm0, %%ymm0\n\t" "vorps %%ymm0, %%ymm1, %%ymm1\n\t"
#define CHUNKX(at, expected, rejects) \
    "vmovdqu " #at "(%[a]), %%xmm0\n\t" "vmovdqa %%xmm0, " #at "(%[s])\n\t" \
    "vpxor " #expected "(%[p]), %%xmm0, %%xmm0\n\t" "vpand " #rejects "(%[p]), %%xmm0, %%xmm0\n\t" "vorps %%ymm0, %%ymm1, %%ymm1\n\t"
#define COPY32(at) "vmovdqu " #at "(%0), %%ymm0\n\t" "vmovdqu %%ymm0, " #at "(%1)\n\t"

static inline int copy_and_check(void)
{
    int declined;
    __asm__ volatile(
        "vxorps %%ymm1, %%ymm1, %%ymm1\n\t"
        CHUNK(0, 0, 32) CHUNK(464, 64, 192) CHUNK(496, 96, 224) CHUNK(528, 128, 256) CHUNKX(560, 160, 288)
        "vmovdqu (%[a],%[k]), %%xmm0\n\t" "vmovdqa %%xmm0, (%[s],%[k])\n\t" "vpand 320(%[p]), %%xmm0, %%xmm0\n\t" "vorps %%ymm0, %%ymm1, %%ymm1\n\t"
        "xorl %%eax, %%eax\n\t" "vptest %%ymm1, %%ymm1\n\t" "setnz %%al\n\t"
        : "=a"(declined) : [a] "r"(area), [s] "r"(scratch), [p] "r"(plan), [k] "r"(pkru_lane) : "xmm0", "xmm1", "memory", "cc");
    return declined;
}

#define LOAD_VECTORS \
    "vmovdqu 160(%0), %%xmm0\n\t" "vmovdqu 176(%0), %%xmm1\n\t" "vmovdqu 192(%0), %%xmm2\n\t" "vmovdqu 208(%0), %%xmm3\n\t" \
    "vmovdqu 224(%0), %%xmm4\n\t" "vmovdqu 240(%0), %%xmm5\n\t" "vmovdqu 256(%0), %%xmm6\n\t" "vmovdqu 272(%0), %%xmm7\n\t" \
    "vmovdqu 288(%0), %%xmm8\n\t" "vmovdqu 304(%0), %%xmm9\n\t" "vmovdqu 320(%0), %%xmm10\n\t" "vmovdqu 336(%0), %%xmm11\n\t" \
    "vmovdqu 352(%0), %%xmm12\n\t" "vmovdqu 368(%0), %%xmm13\n\t" "vmovdqu 384(%0), %%xmm14\n\t" "vmovdqu 400(%0), %%xmm15\n\t" \
    "vinsertf128 $1, 576(%0), %%ymm0, %%ymm0\n\t" "vinsertf128 $1, 592(%0), %%ymm1, %%ymm1\n\t" \
    "vinsertf128 $1, 608(%0), %%ymm2, %%ymm2\n\t" "vinsertf128 $1, 624(%0), %%ymm3, %%ymm3\n\t" \
    "vinsertf128 $1, 640(%0), %%ymm4, %%ymm4\n\t" "vinsertf128 $1, 656(%0), %%ymm5, %%ymm5\n\t" \
    "vinsertf128 $1, 672(%0), %%ymm6, %%ymm6\n\t" "vinsertf128 $1, 688(%0), %%ymm7, %%ymm7\n\t" \
    "vinsertf128 $1, 704(%0), %%ymm8, %%ymm8\n\t" "vinsertf128 $1, 720(%0), %%ymm9, %%ymm9\n\t" \
    "vinsertf128 $1, 736(%0), %%ymm10, %%ymm10\n\t" "vinsertf128 $1, 752(%0), %%ymm11, %%ymm11\n\t" \
    "vinsertf128 $1, 768(%0), %%ymm12, %%ymm12\n\t" "vinsertf128 $1, 784(%0), %%ymm13, %%ymm13\n\t" \
    "vinsertf128 $1, 800(%0), %%ymm14, %%ymm14\n\t" "vinsertf128 $1, 816(%0), %%ymm15, %%ymm15\n\t"
#define VECTORS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

static inline void load_vectors(void) { __asm__ volatile(LOAD_VECTORS :: "r"(area) : VECTORS, "memory"); }
static inline void ldmxcsr(void) { __asm__ volatile("ldmxcsr 24(%0)" :: "r"(scratch) : "memory"); }

/* Bytes 464-575 against what an aligned save leaves there, in general-purpose registers, then a
 * branch XSAVE waits on: the descriptor compared, no XSTATE_BV bit outside the saved set, the
 * rest of the header zero; differences ORed into four registers, then as a tree. */
static inline int save_check(void)
{
    uint64_t differs;
    __asm__ volatile(
        "mov 464(%[a]), %%rax\n\t" "xor 64(%[p]), %%rax\n\t" "mov 472(%[a]), %%rdx\n\t" "xor 72(%[p]), %%rdx\n\t"
        "mov 480(%[a]), %%r10\n\t" "xor 80(%[p]), %%r10\n\t" "mov 488(%[a]), %%r11\n\t" "xor 88(%[p]), %%r11\n\t"
        "mov 496(%[a]), %%r9\n\t" "xor 96(%[p]), %%r9\n\t" "or %%r9, %%rax\n\t"
        "mov 504(%[a]), %%r9\n\t" "xor 104(%[p]), %%r9\n\t" "or %%r9, %%rdx\n\t"
        "mov 512(%[a]), %%r9\n\t" "or %[set], %%r9\n\t" "xor %[set], %%r9\n\t" "or %%r9, %%r10\n\t"
        "or 520(%[a]), %%r11\n\t" "or 528(%[a]), %%rax\n\t" "or 536(%[a]), %%rdx\n\t" "or 544(%[a]), %%r10\n\t"
        "or 552(%[a]), %%r11\n\t" "or 560(%[a]), %%rax\n\t" "or 568(%[a]), %%rdx\n\t"
        "or %%rdx, %%rax\n\t" "or %%r11, %%r10\n\t" "or %%r10, %%rax\n\t"
        : "=a"(differs) : [a] "r"(area), [p] "r"(plan), [set] "m"(saved_set) : "rdx", "r9", "r10", "r11", "memory", "cc");
    return differs != 0;
}

static void pair(void) { for (int i = 0; i < PAIRS; i++) { xsave(area); xrstor(area, MASK); } }
static void restore_steps(void)
{
    for (int i = 0; i < PAIRS; i++) {
        xsave(area);
        if (copy_and_check()) abort();
        load_vectors(); xrstor(scratch, RESTORE_MASK); ldmxcsr();
    }
}
static void with_save_check(void)
{
    for (int i = 0; i < PAIRS; i++) {
        if (save_check()) abort();
        xsave(area);
        if (copy_and_check()) abort();
        load_vectors(); xrstor(scratch, RESTORE_MASK); ldmxcsr();
    }
}
static void no_vector_loads(void)
{
    for (int i = 0; i < PAIRS; i++) {
        xsave(area);
        if (copy_and_check()) abort();
        xrstor(scratch, RESTORE_MASK); ldmxcsr();
    }
}
static void full_copy(void)
{
    for (int i = 0; i < PAIRS; i++) {
        xsave(area);
        if (copy_and_check()) abort();
        __asm__ volatile(COPY32(160) COPY32(192) COPY32(224) COPY32(256) COPY32(288) COPY32(320) COPY32(352) COPY32(384)
                         COPY32(576) COPY32(608) COPY32(640) COPY32(672) COPY32(704) COPY32(736) COPY32(768) COPY32(800)
                         :: "r"(area), "r"(scratch) : "xmm0", "memory");
        xrstor(scratch, MASK);
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 301;
    unsigned a, b, c, d;
    __cpuid(1, a, b, c, d);
    uint32_t xcr0_low = 0, xcr0_high = 0;
    if (c & (1u << 27)) __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 6) != 6 || rounds < 1) {
        fprintf(stderr, "needs AVX enabled in XCR0 (and a positive round count)\n");
        return 2;
    }

    /* The area as an aligned save leaves it, and the plan to match. */
    saved_set = xcr0_low & MASK;
    xsave(area);
    memset(area + 512, 0, 64);
    xsave(area);
    memcpy(plan, area, 32);
    memset(plan + 32, 0xFF, 32);
    plan[32 + 24] = 0xC0; /* MXCSR's exception flags may change (timing arithmetic sets them) */
    memcpy(plan + 64, area + 464, 48);
    memset(plan + 192, 0xFF, 112);
    *(uint64_t *)(plan + 192 + 48) = ~saved_set;
    pkru_lane = 160; /* a register lane: nothing to check */
    if (xcr0_low & (1u << 9)) {
        __cpuid_count(0xD, 9, a, b, c, d);
        pkru_lane = b;
        *(uint32_t *)(plan + 320) = 3; /* access or write disabled for key 0 */
    }

    void (*cases[])(void) = { pair, restore_steps, with_save_check, no_vector_loads, full_copy };
    const char *names[] = { "pair", "restore steps", "+ save check", "no vector loads", "full copy" };
    enum { CASES = sizeof cases / sizeof cases[0] };
    double *ns = malloc(sizeof(double) * CASES * rounds), *sorted = malloc(sizeof(double) * rounds);
    int order[CASES];
    for (int k = 0; k < CASES; k++) order[k] = k;
    srand(20261208);
    for (int r = 0; r < rounds; r++) {
        for (int k = CASES - 1; k > 0; k--) { int j = rand() % (k + 1), t = order[k]; order[k] = order[j]; order[j] = t; }
        for (int k = 0; k < CASES; k++) {
            double t0 = now();
            cases[order[k]]();
            ns[order[k] * rounds + r] = (now() - t0) / PAIRS;
        }
    }

    printf("XCR0 0x%x, %d rounds of %d pairs; ratio = median of per-round ratios to the pair\n", xcr0_low, rounds, PAIRS);
    for (int k = 0; k < CASES; k++) {
        for (int r = 0; r < rounds; r++) sorted[r] = ns[k * rounds + r];
        qsort(sorted, rounds, sizeof(double), by_value);
        double median = sorted[rounds / 2];
        for (int r = 0; r < rounds; r++) sorted[r] = ns[k * rounds + r] / ns[r];
        qsort(sorted, rounds, sizeof(double), by_value);
        printf("%-16s %7.1f ns  %.3f\n", names[k], median, sorted[rounds / 2]);
    }

    return 0;
}
