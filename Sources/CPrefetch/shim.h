/* Asks the CPU to start loading memory ahead of use (for reading, kept in every cache level):
   graph searches and filtered scans touch vectors in an order no hardware prefetcher can guess,
   so they announce the next vector while scoring the current one. */
static inline void funnel_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/* Every 64-byte cache line of the `bytes` starting at `address`. */
static inline void funnel_prefetch_range(const void *address, long bytes) {
    const char *p = (const char *)address;
    for (long offset = 0; offset < bytes; offset += 64) __builtin_prefetch(p + offset, 0, 3);
}
