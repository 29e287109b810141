#ifndef CLINUXSHIM_H
#define CLINUXSHIM_H

#include <stdint.h>
#include <sys/types.h>

/* Typed wrappers for Linux calls Swift cannot make: prctl(2) is variadic in glibc, and glibc
 * declares prlimit(2) only under _GNU_SOURCE. Every symbol carries the `clinuxshim_` prefix,
 * except the one deliberate replacement of a libc function below.
 * Each returns what the call returns: 0 (or a value) on success, -1 with errno set on failure. */

/* prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0) */
int clinuxshim_set_dumpable(int dumpable);
/* prctl(PR_GET_DUMPABLE, 0, 0, 0, 0): 0 not dumpable, 1 dumpable, 2 dumpable, readable by root only. */
int clinuxshim_get_dumpable(void);

/* prctl(PR_SET_NAME, name, 0, 0, 0): names the calling thread (the kernel keeps 15 bytes). */
int clinuxshim_set_thread_name(const char *name);

/* execvpe(3) (glibc declares it only under _GNU_SOURCE): execve with execvp's search of this
 * process's PATH (confstr's /bin:/usr/bin when unset), /bin/sh for a file without #! (ENOEXEC),
 * and EACCES when a file was found but none could run. Returns only on failure. */
int clinuxshim_execvpe(const char *file, char *const argv[], char *const envp[]);

/* prlimit(pid, RLIMIT_NOFILE, NULL, old): the open file limits of pid (0: this process). */
int clinuxshim_get_nofile(pid_t pid, uint64_t *soft, uint64_t *hard);
/* prlimit(pid, RLIMIT_NOFILE, new, NULL) */
int clinuxshim_set_nofile(pid_t pid, uint64_t soft, uint64_t hard);

/* setpriority(2), replaced for the whole process (CLinuxShim.c defines `setpriority` itself).
 *
 * Why: libdispatch (linked into the daemon) gives each worker thread a nice value from its QoS
 * class: `setpriority(PRIO_PROCESS, 0, nice)` with nice -4 (user-interactive) or -2
 * (user-initiated). Lowering a nice value below what the thread has needs CAP_SYS_NICE or
 * RLIMIT_NICE >= 20 - nice (24 for -4). A hardened service has neither where systemd cannot
 * raise RLIMIT_NICE (`LimitNICE=` needs CAP_SYS_RESOURCE in the service manager, which a
 * container's systemd may lack); the kernel answers EACCES and libdispatch logs "Failed to set
 * thread priority for worker thread: ... errno=13" (to syslog, so to the journal) at every start.
 *
 * What: the replacement makes the system call itself (never glibc's setpriority, never itself).
 * When that fails with EACCES while the calling thread lowers its own nice value
 * (PRIO_PROCESS, who 0: libdispatch's call; any other caller gets the kernel's answer), it
 * retries once with `clinuxshim_nice_fallback(requested, current, soft
 * RLIMIT_NICE)`: as high a priority as this host allows, never lower than the thread already
 * had. It returns that retry's outcome (0 when the thread got the closest allowed value, which
 * may be its current one). Every other failure (EPERM from a seccomp filter, ESRCH, EINVAL, a
 * PRIO_PGRP/PRIO_USER call) is returned unchanged, with errno. Where the host allows the nice
 * value asked for (CAP_SYS_NICE, or `LimitNICE=` applied), nothing differs from glibc's.
 *
 * How it takes effect: the linker binds every reference to `setpriority` in the executable's
 * link (libdispatch.a with --static-swift-stdlib) to this definition instead of glibc's; in a
 * dynamically linked build the executable exports it (libdispatch.so references it), and the
 * dynamic linker looks in the executable first. */

/* The nice value to retry with after the kernel refused `requested` with EACCES, for a thread
 * whose nice value is `current` and a process whose soft RLIMIT_NICE is `nice_limit`
 * (RLIM_INFINITY allowed): the lowest value the limit allows (20 - nice_limit, no lower than
 * -20), but never above `current` (the thread keeps what it had) and never below `requested`
 * (never more than asked). Pure: no system call. */
int clinuxshim_nice_fallback(int requested, int current, uint64_t nice_limit);

/* accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC) (glibc declares accept4 only under
 * _GNU_SOURCE): the accepted socket is non-blocking and closed on exec from its first moment,
 * in one call. */
int clinuxshim_accept_nonblocking(int fd);

/* glibc's malloc.h, which Swift's Glibc module does not bring in. */
/* mallinfo2().fordblks: bytes freed but kept in malloc's arenas (all of them). */
size_t clinuxshim_heap_free_bytes(void);
/* malloc_trim(0): gives the arenas' free pages back to the kernel; 1 if any were, else 0. */
int clinuxshim_heap_trim(void);

#endif
