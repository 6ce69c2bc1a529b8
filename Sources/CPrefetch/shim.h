/* Asks the CPU to start loading the cache line at `address` (for reading, kept in every cache
   level): graph searches touch vectors in an order no hardware prefetcher can guess, so they
   announce the next neighbour's vector while scoring the current one. */
static inline void funnel_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
