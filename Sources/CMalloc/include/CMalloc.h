#ifndef FUNNEL_MALLOC_H
#define FUNNEL_MALLOC_H

#if defined(__linux__)
#include <malloc.h>
#endif

/* Whether the process-wide malloc settings were applied at load (glibc only, unless
   FUNNEL_MALLOC_TUNING=0): freed memory kept for reuse rather than handed back to the kernel,
   and one arena for every thread, so that training steps reuse their tensors' pages. */
int funnel_malloc_tuned(void);

#endif
