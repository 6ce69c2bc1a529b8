/* Whether this x86-64 CPU runs AVX2 and FMA, the baseline Funnel's compute targets are compiled
   for. Read with cpuid by the compiler's runtime, so it runs on any x86-64 CPU: the caller must be
   compiled for the plain baseline, before any AVX2 code runs. */
static inline int funnel_cpu_runs_avx2_fma(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 1;
#endif
}
