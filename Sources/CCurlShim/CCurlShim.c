/* The calls below go through function pointers: curl's type-checking macros, which rewrite calls
 * to curl_easy_setopt and friends by name, must stay out of them. */
#define CURL_DISABLE_TYPECHECK 1
#include <stdlib.h>
#include "CCurlShim.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The libcurl functions the delegate calls, as (name, return type, parameters). */
#define CCURLSHIM_FUNCTIONS(X)                                                                     \
    X(curl_global_init, CURLcode, (long))                                                          \
    X(curl_easy_strerror, const char *, (CURLcode))                                                \
    X(curl_easy_init, CURL *, (void))                                                              \
    X(curl_easy_cleanup, void, (CURL *))                                                           \
    X(curl_easy_reset, void, (CURL *))                                                             \
    X(curl_easy_setopt, CURLcode, (CURL *, CURLoption, ...))                                       \
    X(curl_easy_getinfo, CURLcode, (CURL *, CURLINFO, ...))                                        \
    X(curl_multi_init, CURLM *, (void))                                                            \
    X(curl_multi_cleanup, CURLMcode, (CURLM *))                                                    \
    X(curl_multi_setopt, CURLMcode, (CURLM *, CURLMoption, ...))                                   \
    X(curl_multi_add_handle, CURLMcode, (CURLM *, CURL *))                                         \
    X(curl_multi_remove_handle, CURLMcode, (CURLM *, CURL *))                                      \
    X(curl_multi_perform, CURLMcode, (CURLM *, int *))                                             \
    X(curl_multi_poll, CURLMcode, (CURLM *, struct curl_waitfd *, unsigned int, int, int *))       \
    X(curl_multi_wakeup, CURLMcode, (CURLM *))                                                     \
    X(curl_multi_info_read, CURLMsg *, (CURLM *, int *))                                           \
    X(curl_multi_strerror, const char *, (CURLMcode))                                              \
    X(curl_share_init, CURLSH *, (void))                                                           \
    X(curl_share_cleanup, CURLSHcode, (CURLSH *))                                                  \
    X(curl_share_setopt, CURLSHcode, (CURLSH *, CURLSHoption, ...))                                \
    X(curl_share_strerror, const char *, (CURLSHcode))                                             \
    X(curl_version_info, curl_version_info_data *, (CURLversion))

#define CCURLSHIM_POINTER(name, result, parameters) result(*name) parameters;
static struct {
    CCURLSHIM_FUNCTIONS(CCURLSHIM_POINTER)
} api;
#undef CCURLSHIM_POINTER

/* The oldest libcurl with everything the delegate uses (CURLOPT_PROTOCOLS_STR: 7.85.0). */
#define CCURLSHIM_MINIMUM_VERSION 0x075500

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
/* Set (release) once `api` is complete; every wrapper reads it (acquire) before `api`, so no
 * thread can see a half-filled table, whichever path reaches a wrapper. */
static atomic_int loaded;
static char load_error[256];

#define CCURLSHIM_READY() atomic_load_explicit(&loaded, memory_order_acquire)

static void load(void) {
    /* RTLD_LOCAL: libcurl's symbols stay out of the global scope; RTLD_NOW: a missing symbol
     * fails here, with a reason, not at the first call. */
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(load_error, sizeof load_error, "%s", reason != NULL ? reason : "libcurl.so.4: dlopen failed");
        return;
    }
#define CCURLSHIM_RESOLVE(name, result, parameters)                                                \
    *(void **)&api.name = dlsym(library, #name);                                                   \
    if (api.name == NULL) {                                                                        \
        snprintf(load_error, sizeof load_error, "libcurl.so.4 has no %s", #name);                  \
        memset(&api, 0, sizeof api);                                                               \
        return;                                                                                    \
    }
    CCURLSHIM_FUNCTIONS(CCURLSHIM_RESOLVE)
#undef CCURLSHIM_RESOLVE
    const curl_version_info_data *version = api.curl_version_info(CURLVERSION_NOW);
    if (version == NULL || version->version_num < CCURLSHIM_MINIMUM_VERSION) {
        snprintf(load_error, sizeof load_error, "libcurl.so.4 is %s; 7.85.0 or later is needed",
                 version != NULL && version->version != NULL ? version->version : "of an unknown version");
        memset(&api, 0, sizeof api);
        return;
    }
    /* The library stays open for the life of the process. */
    atomic_store_explicit(&loaded, 1, memory_order_release);
}

int ccurlshim_load(char *error, size_t error_size) {
    pthread_once(&load_once, load);
    int ready = CCURLSHIM_READY();
    if (!ready && error != NULL && error_size > 0) snprintf(error, error_size, "%s", load_error);
    return ready;
}

CURLcode ccurlshim_global_init_all(int *key_log_file_ignored) {
    /* libcurl's TLS backend opens $SSLKEYLOGFILE at global init and appends every session's keys
     * to it: whoever reads that file reads the secret values in AWS's answers. The variable is
     * taken out of this process's environment first (glibc's unsetenv shifts pointers, never
     * frees the strings of the initial environment, so a concurrent getenv reads no freed memory). */
    *key_log_file_ignored = getenv("SSLKEYLOGFILE") != NULL;
    if (*key_log_file_ignored) unsetenv("SSLKEYLOGFILE");
    return CCURLSHIM_READY() ? api.curl_global_init(CURL_GLOBAL_ALL) : CURLE_FAILED_INIT;
}

const char *ccurlshim_easy_strerror(CURLcode code) {
    return CCURLSHIM_READY() ? api.curl_easy_strerror(code) : "libcurl is not loaded";
}

CURL *ccurlshim_easy_init(void) { return CCURLSHIM_READY() ? api.curl_easy_init() : NULL; }

void ccurlshim_easy_cleanup(CURL *handle) {
    if (CCURLSHIM_READY()) api.curl_easy_cleanup(handle);
}

void ccurlshim_easy_reset(CURL *handle) {
    if (CCURLSHIM_READY()) api.curl_easy_reset(handle);
}

CURLcode ccurlshim_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return CCURLSHIM_READY() ? api.curl_easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

CURLcode ccurlshim_easy_setopt_ptr(CURL *handle, CURLoption option, const void *value) {
    return CCURLSHIM_READY() ? api.curl_easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

CURLcode ccurlshim_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return CCURLSHIM_READY() ? api.curl_easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

CURLcode ccurlshim_easy_setopt_write_function(CURL *handle, curl_write_callback callback) {
    return CCURLSHIM_READY() ? api.curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback) : CURLE_FAILED_INIT;
}

CURLcode ccurlshim_easy_setopt_header_function(CURL *handle, curl_write_callback callback) {
    return CCURLSHIM_READY() ? api.curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback) : CURLE_FAILED_INIT;
}

CURLcode ccurlshim_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return CCURLSHIM_READY() ? api.curl_easy_getinfo(handle, info, value) : CURLE_FAILED_INIT;
}

CURLcode ccurlshim_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return CCURLSHIM_READY() ? api.curl_easy_getinfo(handle, info, value) : CURLE_FAILED_INIT;
}

CURLM *ccurlshim_multi_init(void) { return CCURLSHIM_READY() ? api.curl_multi_init() : NULL; }

CURLMcode ccurlshim_multi_cleanup(CURLM *multi) {
    return CCURLSHIM_READY() ? api.curl_multi_cleanup(multi) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurlshim_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return CCURLSHIM_READY() ? api.curl_multi_setopt(multi, option, value) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurlshim_multi_add_handle(CURLM *multi, CURL *handle) {
    return CCURLSHIM_READY() ? api.curl_multi_add_handle(multi, handle) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurlshim_multi_remove_handle(CURLM *multi, CURL *handle) {
    return CCURLSHIM_READY() ? api.curl_multi_remove_handle(multi, handle) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurlshim_multi_perform(CURLM *multi, int *running) {
    return CCURLSHIM_READY() ? api.curl_multi_perform(multi, running) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurlshim_multi_poll(CURLM *multi, struct curl_waitfd *extra, unsigned int extra_count, int timeout_ms,
                               int *ready) {
    return CCURLSHIM_READY() ? api.curl_multi_poll(multi, extra, extra_count, timeout_ms, ready)
                               : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurlshim_multi_wakeup(CURLM *multi) {
    return CCURLSHIM_READY() ? api.curl_multi_wakeup(multi) : CURLM_INTERNAL_ERROR;
}

CURLMsg *ccurlshim_multi_info_read(CURLM *multi, int *remaining) {
    return CCURLSHIM_READY() ? api.curl_multi_info_read(multi, remaining) : NULL;
}

const char *ccurlshim_multi_strerror(CURLMcode code) {
    return CCURLSHIM_READY() ? api.curl_multi_strerror(code) : "libcurl is not loaded";
}

CURLSH *ccurlshim_share_init(void) { return CCURLSHIM_READY() ? api.curl_share_init() : NULL; }

CURLSHcode ccurlshim_share_cleanup(CURLSH *share) {
    return CCURLSHIM_READY() ? api.curl_share_cleanup(share) : CURLSHE_NOT_BUILT_IN;
}

CURLSHcode ccurlshim_share_setopt_long(CURLSH *share, CURLSHoption option, long value) {
    return CCURLSHIM_READY() ? api.curl_share_setopt(share, option, value) : CURLSHE_NOT_BUILT_IN;
}

const char *ccurlshim_share_strerror(CURLSHcode code) {
    return CCURLSHIM_READY() ? api.curl_share_strerror(code) : "libcurl is not loaded";
}

CURLcode ccurlshim_msg_result(const CURLMsg *message) { return message->data.result; }

int ccurlshim_msg_is_done(const CURLMsg *message) { return message->msg == CURLMSG_DONE; }
