#ifndef FUNNEL_THREAD_STATE_H
#define FUNNEL_THREAD_STATE_H

/* Per-thread state that Swift has no cheap way to keep: how deep the calling thread is inside
   parallel regions, so that work already split across threads does not split again. */

int funnel_parallel_depth(void);
void funnel_enter_parallel(void);
void funnel_leave_parallel(void);

#endif
