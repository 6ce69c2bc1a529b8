#include "CThreadState.h"

static _Thread_local int depth;

int funnel_parallel_depth(void) { return depth; }
void funnel_enter_parallel(void) { depth++; }
void funnel_leave_parallel(void) { depth--; }
