#define _GNU_SOURCE
#include "CLinuxShim.h"

#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>

int clinuxshim_set_dumpable(int dumpable) {
    return prctl(PR_SET_DUMPABLE, (unsigned long)dumpable, 0UL, 0UL, 0UL);
}

int clinuxshim_get_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);
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
