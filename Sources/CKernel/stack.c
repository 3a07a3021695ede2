// How much of the calling thread's stack is left. The language recurses on what
// people write (nested expressions, recursive functions, nested lists when printed),
// so it checks this before going deeper and stops with an error while there is
// still room, whatever the frame sizes of the build it runs in.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>

#include "ckernel.h"

static _Thread_local uintptr_t stack_low = 0;

int64_t atl_stack_remaining(void) {
  // The frame address, not a local's: under AddressSanitizer locals may live on a
  // heap-allocated fake stack.
  const uintptr_t here = (uintptr_t)__builtin_frame_address(0);
  if (stack_low == 0) {
    pthread_attr_t attr;
    void *base = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      pthread_attr_getstack(&attr, &base, &size);
      pthread_attr_destroy(&attr);
    }
    // Unknown bounds: assume the smallest stack a thread is commonly given.
    stack_low = base ? (uintptr_t)base : here - (512 << 10);
  }
  return (int64_t)(here - stack_low);
}
