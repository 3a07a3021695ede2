// The autograd tape recording on this thread (owned by Swift; stored unretained).
#include "ckernel.h"

static _Thread_local void *thread_tape = NULL;

void *atl_thread_tape(void) { return thread_tape; }
void atl_set_thread_tape(void *tape) { thread_tape = tape; }
