// Ctrl-C only raises a flag: long work (a training run) polls it at safe points.
#include <signal.h>
#include <string.h>

#include "ckernel.h"

static volatile sig_atomic_t pending = 0;
// Every interrupt ever raised, never consumed: a caller that runs several pieces of
// work (a notebook cell's statements) sees that one was interrupted even after the
// piece that stopped consumed the flag.
static int raised = 0;

static void on_sigint(int signo) {
  (void)signo;
  pending = 1;
  __atomic_fetch_add(&raised, 1, __ATOMIC_SEQ_CST);
}

void atl_install_interrupt_handler(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, NULL);
}

int atl_interrupt_pending(void) { return pending != 0; }
void atl_interrupt_clear(void) { pending = 0; }
void atl_interrupt_raise(void) {
  pending = 1;
  __atomic_fetch_add(&raised, 1, __ATOMIC_SEQ_CST);
}
int atl_interrupt_count(void) { return __atomic_load_n(&raised, __ATOMIC_SEQ_CST); }
