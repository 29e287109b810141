#ifndef CLINUXSHIM_H
#define CLINUXSHIM_H

#include <stdint.h>
#include <sys/types.h>

/* Typed wrappers for Linux calls Swift cannot make: prctl(2) is variadic in glibc, and glibc
 * declares prlimit(2) only under _GNU_SOURCE. Every symbol carries the `clinuxshim_` prefix.
 * Each returns what the call returns: 0 (or a value) on success, -1 with errno set on failure. */

/* prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0) */
int clinuxshim_set_dumpable(int dumpable);
/* prctl(PR_GET_DUMPABLE, 0, 0, 0, 0): 0 not dumpable, 1 dumpable, 2 dumpable, readable by root only. */
int clinuxshim_get_dumpable(void);

/* prlimit(pid, RLIMIT_NOFILE, NULL, old): the open file limits of pid (0: this process). */
int clinuxshim_get_nofile(pid_t pid, uint64_t *soft, uint64_t *hard);
/* prlimit(pid, RLIMIT_NOFILE, new, NULL) */
int clinuxshim_set_nofile(pid_t pid, uint64_t soft, uint64_t hard);

#endif
