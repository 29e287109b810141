#ifndef CLINUXSHIM_H
#define CLINUXSHIM_H

/* Typed wrappers for Linux calls Swift cannot make: prctl(2) is variadic in glibc.
 * Every symbol carries the `clinuxshim_` prefix.
 * Each returns what the call returns: 0 (or a value) on success, -1 with errno set on failure. */

/* prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0) */
int clinuxshim_set_dumpable(int dumpable);
/* prctl(PR_GET_DUMPABLE, 0, 0, 0, 0): 0 not dumpable, 1 dumpable, 2 dumpable, readable by root only. */
int clinuxshim_get_dumpable(void);

#endif
