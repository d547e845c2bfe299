/* The process samples/EditRegisters edits. It loads known values into YMM3 and MXCSR (rounding
 * down), stops itself with a raw kill(getpid(), SIGSTOP) in the same asm block (no call in between
 * that could touch a register), and once continued prints what YMM3 and MXCSR hold and what 1/3
 * rounds to under that MXCSR. */
#include <stdint.h>
#include <stdio.h>

static void print_ymm(const char *label, const unsigned char *bytes) {
    printf("%s", label);
    for (int i = 31; i >= 0; i--) printf("%02X", bytes[i]); /* most significant byte first */
    printf("\n");
}

int main(void) {
    static unsigned char loaded[32] __attribute__((aligned(32)));
    static unsigned char held[32] __attribute__((aligned(32)));
    static const float one = 1.0f, three = 3.0f;
    static const uint32_t round_down = 0x3F80; /* every exception masked, RC = 01 */
    uint32_t mxcsr;
    float third;
    for (int i = 0; i < 32; i++) loaded[i] = (unsigned char)(0x30 + i);

    print_ymm("target: loaded YMM3 = ", loaded);
    printf("target: loaded MXCSR = 0x%04X (round down); stopping\n", round_down);
    fflush(stdout);
    __asm__ volatile(
        "vmovdqu (%[in]), %%ymm3\n ldmxcsr (%[csr])\n"
        "mov $39, %%eax\n syscall\n"                                  /* getpid */
        "mov %%eax, %%edi\n mov $19, %%esi\n mov $62, %%eax\n syscall\n" /* kill(pid, SIGSTOP) */
        "vmovdqu %%ymm3, (%[out])\n stmxcsr (%[now])\n"
        "movss (%[one]), %%xmm0\n divss (%[three]), %%xmm0\n movss %%xmm0, (%[q])\n"
        "vzeroupper\n"
        :: [in] "r"(loaded), [csr] "r"(&round_down), [out] "r"(held), [now] "r"(&mxcsr),
           [one] "r"(&one), [three] "r"(&three), [q] "r"(&third)
        : "rax", "rdi", "rsi", "rcx", "r11", "xmm0", "xmm3", "memory");

    union { float f; uint32_t u; } q = { third };
    print_ymm("target: now holds YMM3 = ", held);
    printf("target: now holds MXCSR = 0x%04X\n", mxcsr & ~0x3Fu);
    printf("target: 1.0f / 3.0f = 0x%08X\n", q.u);
    return 0;
}
