/* Oracle for XSave.Tests: loads known values into x87, MXCSR and YMM0-15 (plus k0-7 and
 * ZMM0-31 where AVX-512 is enabled), then either
 *   xsave  - executes XSAVE64 itself and writes the area (CPUID's size) to stdout, or
 *   ptrace - lets the Linux kernel save it: a traced child loads the values and stops, the
 *            parent reads NT_X86_XSTATE with PTRACE_GETREGSET and writes it to stdout.
 *   trap   - loads the values and executes int3, for a debugger to dump a core (gcore).
 *   xrstor MASK - the other way round: XRSTOR64s the 4096-byte area on stdin with MASK, then
 *            prints the registers it holds (FCW, MXCSR, YMM/ZMM, K, PKRU, BND), one per line.
 *   stop   - loads the values, stops itself (SIGSTOP) and, once continued, prints the registers
 *            it then holds, as xrstor does: for a tracer that edits them meanwhile.
 * Built by the test with gcc; nothing from the library is involved. */
#include <cpuid.h>
#include <elf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned char values[32 * 64] __attribute__((aligned(64)));
static uint64_t opmasks[8];
static const uint16_t fcw = 0x0F7F;     /* round toward zero, extended precision, all masked */
static const uint32_t mxcsr = 0x7F80;   /* round toward zero, all masked */

static int avx512(void) {
    unsigned a, b, c, d;
    __cpuid_count(7, 0, a, b, c, d);
    if (!(b & (1u << 16))) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 0xE0) == 0xE0;
}

/* x87: ST0 = 1.0, ST1 = pi; FCW; MXCSR; YMM0-15 from values[r*64 .. r*64+31]. */
#define LOAD_BASE                                                                    \
    "fninit\n fldpi\n fld1\n fldcw (%[fcw])\n ldmxcsr (%[mxcsr])\n"                  \
    "vmovdqu 0*64(%[v]), %%ymm0\n vmovdqu 1*64(%[v]), %%ymm1\n"                      \
    "vmovdqu 2*64(%[v]), %%ymm2\n vmovdqu 3*64(%[v]), %%ymm3\n"                      \
    "vmovdqu 4*64(%[v]), %%ymm4\n vmovdqu 5*64(%[v]), %%ymm5\n"                      \
    "vmovdqu 6*64(%[v]), %%ymm6\n vmovdqu 7*64(%[v]), %%ymm7\n"                      \
    "vmovdqu 8*64(%[v]), %%ymm8\n vmovdqu 9*64(%[v]), %%ymm9\n"                      \
    "vmovdqu 10*64(%[v]), %%ymm10\n vmovdqu 11*64(%[v]), %%ymm11\n"                  \
    "vmovdqu 12*64(%[v]), %%ymm12\n vmovdqu 13*64(%[v]), %%ymm13\n"                  \
    "vmovdqu 14*64(%[v]), %%ymm14\n vmovdqu 15*64(%[v]), %%ymm15\n"

#define LOAD_AVX512                                                                  \
    "kmovq 0*8(%[k]), %%k0\n kmovq 1*8(%[k]), %%k1\n kmovq 2*8(%[k]), %%k2\n"         \
    "kmovq 3*8(%[k]), %%k3\n kmovq 4*8(%[k]), %%k4\n kmovq 5*8(%[k]), %%k5\n"         \
    "kmovq 6*8(%[k]), %%k6\n kmovq 7*8(%[k]), %%k7\n"                                 \
    "vmovdqu64 0*64(%[v]), %%zmm0\n vmovdqu64 1*64(%[v]), %%zmm1\n"                   \
    "vmovdqu64 2*64(%[v]), %%zmm2\n vmovdqu64 3*64(%[v]), %%zmm3\n"                   \
    "vmovdqu64 4*64(%[v]), %%zmm4\n vmovdqu64 5*64(%[v]), %%zmm5\n"                   \
    "vmovdqu64 6*64(%[v]), %%zmm6\n vmovdqu64 7*64(%[v]), %%zmm7\n"                   \
    "vmovdqu64 8*64(%[v]), %%zmm8\n vmovdqu64 9*64(%[v]), %%zmm9\n"                   \
    "vmovdqu64 10*64(%[v]), %%zmm10\n vmovdqu64 11*64(%[v]), %%zmm11\n"               \
    "vmovdqu64 12*64(%[v]), %%zmm12\n vmovdqu64 13*64(%[v]), %%zmm13\n"               \
    "vmovdqu64 14*64(%[v]), %%zmm14\n vmovdqu64 15*64(%[v]), %%zmm15\n"               \
    "vmovdqu64 16*64(%[v]), %%zmm16\n vmovdqu64 17*64(%[v]), %%zmm17\n"               \
    "vmovdqu64 18*64(%[v]), %%zmm18\n vmovdqu64 19*64(%[v]), %%zmm19\n"               \
    "vmovdqu64 20*64(%[v]), %%zmm20\n vmovdqu64 21*64(%[v]), %%zmm21\n"               \
    "vmovdqu64 22*64(%[v]), %%zmm22\n vmovdqu64 23*64(%[v]), %%zmm23\n"               \
    "vmovdqu64 24*64(%[v]), %%zmm24\n vmovdqu64 25*64(%[v]), %%zmm25\n"               \
    "vmovdqu64 26*64(%[v]), %%zmm26\n vmovdqu64 27*64(%[v]), %%zmm27\n"               \
    "vmovdqu64 28*64(%[v]), %%zmm28\n vmovdqu64 29*64(%[v]), %%zmm29\n"               \
    "vmovdqu64 30*64(%[v]), %%zmm30\n vmovdqu64 31*64(%[v]), %%zmm31\n"

#define OPERANDS [v] "r"(values), [k] "r"(opmasks), [fcw] "r"(&fcw), [mxcsr] "r"(&mxcsr)

static void print(const char *name, int index, const void *bytes, int length) {
    printf("%s%d ", name, index);
    for (int i = 0; i < length; i++) printf("%02x", ((const unsigned char *)bytes)[i]);
    printf("\n");
}

/* What the registers hold, stored by the same asm block that put them there: nothing in between
 * may touch them. PKRU and BND are read afterwards: C code does not use them. */
static unsigned char out[32 * 64] __attribute__((aligned(64)));
static uint64_t k[8];
static uint16_t cw;
static uint32_t csr;
static unsigned char x87[48]; /* ST0 and ST1 (80 bits each, in 16-byte cells), then FSW */
#define STORE_YMM(n) "vmovdqu %%ymm" #n ", " #n "*64(%[o])\n"
#define STORE_ZMM(n) "vmovdqu64 %%zmm" #n ", " #n "*64(%[o])\n"
#define STORE_CONTROL "fnstcw (%[cw])\n stmxcsr (%[csr])\n fnstsw 32(%[x])\n fstpt 0(%[x])\n fstpt 16(%[x])\n"
#define STORE_NARROW STORE_CONTROL                                                              \
    STORE_YMM(0) STORE_YMM(1) STORE_YMM(2) STORE_YMM(3) STORE_YMM(4) STORE_YMM(5) STORE_YMM(6) STORE_YMM(7) \
    STORE_YMM(8) STORE_YMM(9) STORE_YMM(10) STORE_YMM(11) STORE_YMM(12) STORE_YMM(13) STORE_YMM(14) STORE_YMM(15) \
    "vzeroupper\n"
#define STORE_WIDE STORE_CONTROL                                                                \
    STORE_ZMM(0) STORE_ZMM(1) STORE_ZMM(2) STORE_ZMM(3) STORE_ZMM(4) STORE_ZMM(5) STORE_ZMM(6) STORE_ZMM(7) \
    STORE_ZMM(8) STORE_ZMM(9) STORE_ZMM(10) STORE_ZMM(11) STORE_ZMM(12) STORE_ZMM(13) STORE_ZMM(14) STORE_ZMM(15) \
    STORE_ZMM(16) STORE_ZMM(17) STORE_ZMM(18) STORE_ZMM(19) STORE_ZMM(20) STORE_ZMM(21) STORE_ZMM(22) STORE_ZMM(23) \
    STORE_ZMM(24) STORE_ZMM(25) STORE_ZMM(26) STORE_ZMM(27) STORE_ZMM(28) STORE_ZMM(29) STORE_ZMM(30) STORE_ZMM(31) \
    "kmovq %%k0, 0(%[ko])\n kmovq %%k1, 8(%[ko])\n kmovq %%k2, 16(%[ko])\n kmovq %%k3, 24(%[ko])\n"   \
    "kmovq %%k4, 32(%[ko])\n kmovq %%k5, 40(%[ko])\n kmovq %%k6, 48(%[ko])\n kmovq %%k7, 56(%[ko])\n vzeroupper\n"
#define STORE_OPERANDS [o] "r"(out), [ko] "r"(k), [cw] "r"(&cw), [csr] "r"(&csr), [x] "r"(x87)

static void print_registers(int wide, uint64_t mask) {
    printf("fcw0 %04x\nmxcsr0 %08x\nfsw0 %02x%02x\n", cw, csr, x87[33], x87[32]);
    print("st", 0, x87, 10);
    print("st", 1, x87 + 16, 10);
    for (int r = 0; r < (wide ? 32 : 16); r++) print(wide ? "zmm" : "ymm", r, out + r * 64, wide ? 64 : 32);
    for (int i = 0; wide && i < 8; i++) print("k", i, &k[i], 8);
    if (mask & (1u << 9)) {
        uint32_t pkru;
        __asm__ volatile("rdpkru" : "=a"(pkru) : "c"(0) : "rdx");
        print("pkru", 0, &pkru, 4);
    }
    if (mask & (1u << 3)) {
        static unsigned char bnd[4][16];
        __asm__ volatile("bndmov %%bnd0, 0(%[b])\n bndmov %%bnd1, 16(%[b])\n bndmov %%bnd2, 32(%[b])\n bndmov %%bnd3, 48(%[b])\n"
                         :: [b] "r"(bnd) : "memory");
        for (int i = 0; i < 4; i++) print("bnd", i, bnd[i], 16);
    }
}

static int xrstor(uint64_t mask, int wide) {
    static unsigned char area[4096] __attribute__((aligned(64)));
    if (fread(area, 1, sizeof area, stdin) != sizeof area) return 4;
    uint32_t lo = (uint32_t)mask, hi = (uint32_t)(mask >> 32);
    if (wide)
        __asm__ volatile("xrstor64 (%[a])\n" STORE_WIDE :: [a] "r"(area), "a"(lo), "d"(hi), STORE_OPERANDS : "memory");
    else
        __asm__ volatile("xrstor64 (%[a])\n" STORE_NARROW :: [a] "r"(area), "a"(lo), "d"(hi), STORE_OPERANDS : "memory");
    print_registers(wide, mask);
    return 0;
}

/* Loads the known values, stops itself with a raw kill(getpid(), SIGSTOP) (no libc call in
 * between to touch a register), and once resumed prints what the registers hold: a tracer may
 * have changed them while it was stopped. */
#define STOP_SELF "mov $39, %%eax\n syscall\n mov %%eax, %%edi\n mov $19, %%esi\n mov $62, %%eax\n syscall\n"
static int stop(int wide) {
    printf("stopping\n");
    fflush(stdout);
    if (wide)
        __asm__ volatile(LOAD_BASE LOAD_AVX512 STOP_SELF STORE_WIDE :: OPERANDS, STORE_OPERANDS
                         : "rax", "rdi", "rsi", "rcx", "r11", "memory");
    else
        __asm__ volatile(LOAD_BASE STOP_SELF STORE_NARROW :: OPERANDS, STORE_OPERANDS
                         : "rax", "rdi", "rsi", "rcx", "r11", "memory");
    print_registers(wide, 0);
    return 0;
}

int main(int argc, char **argv) {
    for (int r = 0; r < 32; r++)
        for (int j = 0; j < 64; j++) values[r * 64 + j] = (unsigned char)(r * 17 + j + 1);
    for (int k = 0; k < 8; k++) opmasks[k] = (0x0101010101010101ull * (uint64_t)(k + 1)) ^ 0xF0F0;
    int wide = avx512();
    unsigned a, size, c, d;
    __cpuid_count(0xD, 0, a, size, c, d);

    if (argc > 1 && strcmp(argv[1], "xsave") == 0) {
        unsigned char *area = aligned_alloc(64, 16384);
        memset(area, 0, 16384);
        if (wide)
            __asm__ volatile(LOAD_BASE LOAD_AVX512 "mov $-1, %%eax\n mov $-1, %%edx\n xsave64 (%[a])\n"
                             :: OPERANDS, [a] "r"(area) : "rax", "rdx", "memory");
        else
            __asm__ volatile(LOAD_BASE "mov $-1, %%eax\n mov $-1, %%edx\n xsave64 (%[a])\n"
                             :: OPERANDS, [a] "r"(area) : "rax", "rdx", "memory");
        fwrite(area, 1, size, stdout);
        return 0;
    }

    if (argc > 1 && strcmp(argv[1], "ptrace") == 0) {
        pid_t child = fork();
        if (child == 0) {
            ptrace(PTRACE_TRACEME, 0, 0, 0);
            if (wide) __asm__ volatile(LOAD_BASE LOAD_AVX512 "int3\n" :: OPERANDS : "memory");
            else __asm__ volatile(LOAD_BASE "int3\n" :: OPERANDS : "memory");
            _exit(0);
        }
        int status;
        waitpid(child, &status, 0);
        if (!WIFSTOPPED(status)) return 2;
        static unsigned char buffer[16384];
        struct iovec io = { buffer, sizeof buffer };
        if (ptrace(PTRACE_GETREGSET, child, (void *)NT_X86_XSTATE, &io) != 0) return 3;
        fwrite(buffer, 1, io.iov_len, stdout);
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        return 0;
    }

    if (argc > 1 && strcmp(argv[1], "trap") == 0) {
        if (wide) __asm__ volatile(LOAD_BASE LOAD_AVX512 "int3\n" :: OPERANDS : "memory");
        else __asm__ volatile(LOAD_BASE "int3\n" :: OPERANDS : "memory");
        return 0;
    }

    if (argc > 1 && strcmp(argv[1], "stop") == 0) return stop(wide);
    if (argc > 2 && strcmp(argv[1], "xrstor") == 0) return xrstor(strtoull(argv[2], 0, 0), wide);

    fprintf(stderr, "usage: oracle xsave|ptrace|trap|xrstor MASK|stop\n");
    return 1;
}
