#define _GNU_SOURCE
#include "CLinuxShim.h"

#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int clinuxshim_execvpe(const char *file, char *const argv[], char *const envp[]) {
    return execvpe(file, argv, envp);
}

int clinuxshim_set_dumpable(int dumpable) {
    return prctl(PR_SET_DUMPABLE, (unsigned long)dumpable, 0UL, 0UL, 0UL);
}

int clinuxshim_get_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);
}

int clinuxshim_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}

int clinuxshim_get_nofile(pid_t pid, uint64_t *soft, uint64_t *hard) {
    struct rlimit limit;
    int result = prlimit(pid, RLIMIT_NOFILE, NULL, &limit);
    if (result == 0) {
        *soft = (uint64_t)limit.rlim_cur;
        *hard = (uint64_t)limit.rlim_max;
    }
    return result;
}

int clinuxshim_set_nofile(pid_t pid, uint64_t soft, uint64_t hard) {
    struct rlimit limit = { .rlim_cur = (rlim_t)soft, .rlim_max = (rlim_t)hard };
    return prlimit(pid, RLIMIT_NOFILE, &limit, NULL);
}

int clinuxshim_nice_fallback(int requested, int current, uint64_t nice_limit) {
    /* The kernel lets a process lower a nice value to n when 20 - n <= RLIMIT_NICE. */
    int lowest = nice_limit >= 40 ? -20 : 20 - (int)nice_limit;
    int allowed = current < lowest ? current : lowest;
    return allowed > requested ? allowed : requested;
}

/* The raw system calls: glibc's getpriority returns the nice value (and -1 is a valid one),
 * the kernel returns 20 - nice (1 to 40), so a negative answer is always an error. */
static int clinuxshim_sys_setpriority(int which, id_t who, int prio) {
    return (int)syscall(SYS_setpriority, which, who, prio);
}

static int clinuxshim_sys_nice(int which, id_t who, int *nice) {
    long raw = syscall(SYS_getpriority, which, who);
    if (raw < 0) return -1;
    *nice = 20 - (int)raw;
    return 0;
}

/* See CLinuxShim.h: the process-wide replacement of glibc's setpriority(2). */
int setpriority(__priority_which_t which, id_t who, int prio) {
    int result = clinuxshim_sys_setpriority((int)which, who, prio);
    /* Only a thread asking for itself (who 0: libdispatch's call) settles for less. */
    if (result == 0 || errno != EACCES || which != PRIO_PROCESS || who != 0) return result;
    int current = 0;
    struct rlimit limit;
    if (clinuxshim_sys_nice((int)which, who, &current) != 0 || prio >= current
        || getrlimit(RLIMIT_NICE, &limit) != 0) {
        errno = EACCES;
        return -1;
    }
    return clinuxshim_sys_setpriority(
        (int)which, who, clinuxshim_nice_fallback(prio, current, (uint64_t)limit.rlim_cur));
}

size_t clinuxshim_heap_free_bytes(void) {
    return mallinfo2().fordblks;
}

int clinuxshim_heap_trim(void) {
    return malloc_trim(0);
}

int clinuxshim_accept_nonblocking(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
