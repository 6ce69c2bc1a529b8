#include "CMalloc.h"

#include <stdlib.h>
#include <string.h>

#if defined(__linux__) && defined(__GLIBC__)
static int tuned;

/* Runs as the library loads, before any thread has an arena of its own: M_ARENA_MAX only
   governs arenas created after it is set. */
__attribute__((constructor)) static void funnel_malloc_defaults(void) {
    const char *setting = getenv("FUNNEL_MALLOC_TUNING");
    if (setting && strcmp(setting, "0") == 0) return;
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_ARENA_MAX, 1);
    tuned = 1;
}

int funnel_malloc_tuned(void) { return tuned; }
#else
int funnel_malloc_tuned(void) { return 0; }
#endif
