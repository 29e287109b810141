#include "CCurlShim.h"

#include <dlfcn.h>
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
    X(curl_slist_append, struct curl_slist *, (struct curl_slist *, const char *))                 \
    X(curl_slist_free_all, void, (struct curl_slist *))

#define CCURLSHIM_POINTER(name, result, parameters) result(*name) parameters;
static struct {
    CCURLSHIM_FUNCTIONS(CCURLSHIM_POINTER)
} api;
#undef CCURLSHIM_POINTER

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
/* Written once inside load_once, read only after it. */
static int loaded;
static char load_error[256];

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
    /* The library stays open for the life of the process. */
    loaded = 1;
}

int ccurlshim_load(char *error, size_t error_size) {
    pthread_once(&load_once, load);
    if (!loaded && error != NULL && error_size > 0) snprintf(error, error_size, "%s", load_error);
    return loaded;
}

CURLcode ccurlshim_global_init_all(void) {
    return api.curl_global_init ? api.curl_global_init(CURL_GLOBAL_ALL) : CURLE_FAILED_INIT;
}

const char *ccurlshim_easy_strerror(CURLcode code) {
    return api.curl_easy_strerror ? api.curl_easy_strerror(code) : "libcurl is not loaded";
}

CURL *ccurlshim_easy_init(void) { return api.curl_easy_init ? api.curl_easy_init() : NULL; }

void ccurlshim_easy_cleanup(CURL *handle) {
    if (api.curl_easy_cleanup) api.curl_easy_cleanup(handle);
}

void ccurlshim_easy_reset(CURL *handle) {
    if (api.curl_easy_reset) api.curl_easy_reset(handle);
}

CURLcode ccurlshim_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return api.curl_easy_setopt ? api.curl_easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

CURLcode ccurlshim_easy_setopt_ptr(CURL *handle, CURLoption option, const void *value) {
    return api.curl_easy_setopt ? api.curl_easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

CURLcode ccurlshim_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return api.curl_easy_setopt ? api.curl_easy_setopt(handle, option, value) : CURLE_FAILED_INIT;
}

CURLcode ccurlshim_easy_setopt_write_function(CURL *handle, curl_write_callback callback) {
    return api.curl_easy_setopt ? api.curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback) : CURLE_FAILED_INIT;
}

CURLcode ccurlshim_easy_setopt_header_function(CURL *handle, curl_write_callback callback) {
    return api.curl_easy_setopt ? api.curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback) : CURLE_FAILED_INIT;
}

CURLcode ccurlshim_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return api.curl_easy_getinfo ? api.curl_easy_getinfo(handle, info, value) : CURLE_FAILED_INIT;
}

CURLcode ccurlshim_easy_getinfo_ptr(CURL *handle, CURLINFO info, void **value) {
    return api.curl_easy_getinfo ? api.curl_easy_getinfo(handle, info, value) : CURLE_FAILED_INIT;
}

CURLM *ccurlshim_multi_init(void) { return api.curl_multi_init ? api.curl_multi_init() : NULL; }

CURLMcode ccurlshim_multi_cleanup(CURLM *multi) {
    return api.curl_multi_cleanup ? api.curl_multi_cleanup(multi) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurlshim_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return api.curl_multi_setopt ? api.curl_multi_setopt(multi, option, value) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurlshim_multi_add_handle(CURLM *multi, CURL *handle) {
    return api.curl_multi_add_handle ? api.curl_multi_add_handle(multi, handle) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurlshim_multi_remove_handle(CURLM *multi, CURL *handle) {
    return api.curl_multi_remove_handle ? api.curl_multi_remove_handle(multi, handle) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurlshim_multi_perform(CURLM *multi, int *running) {
    return api.curl_multi_perform ? api.curl_multi_perform(multi, running) : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurlshim_multi_poll(CURLM *multi, struct curl_waitfd *extra, unsigned int extra_count, int timeout_ms,
                               int *ready) {
    return api.curl_multi_poll ? api.curl_multi_poll(multi, extra, extra_count, timeout_ms, ready)
                               : CURLM_INTERNAL_ERROR;
}

CURLMcode ccurlshim_multi_wakeup(CURLM *multi) {
    return api.curl_multi_wakeup ? api.curl_multi_wakeup(multi) : CURLM_INTERNAL_ERROR;
}

CURLMsg *ccurlshim_multi_info_read(CURLM *multi, int *remaining) {
    return api.curl_multi_info_read ? api.curl_multi_info_read(multi, remaining) : NULL;
}

const char *ccurlshim_multi_strerror(CURLMcode code) {
    return api.curl_multi_strerror ? api.curl_multi_strerror(code) : "libcurl is not loaded";
}

CURLSH *ccurlshim_share_init(void) { return api.curl_share_init ? api.curl_share_init() : NULL; }

CURLSHcode ccurlshim_share_cleanup(CURLSH *share) {
    return api.curl_share_cleanup ? api.curl_share_cleanup(share) : CURLSHE_NOT_BUILT_IN;
}

CURLSHcode ccurlshim_share_setopt_long(CURLSH *share, CURLSHoption option, long value) {
    return api.curl_share_setopt ? api.curl_share_setopt(share, option, value) : CURLSHE_NOT_BUILT_IN;
}

const char *ccurlshim_share_strerror(CURLSHcode code) {
    return api.curl_share_strerror ? api.curl_share_strerror(code) : "libcurl is not loaded";
}

struct curl_slist *ccurlshim_slist_append(struct curl_slist *list, const char *line) {
    return api.curl_slist_append ? api.curl_slist_append(list, line) : NULL;
}

void ccurlshim_slist_free_all(struct curl_slist *list) {
    if (api.curl_slist_free_all) api.curl_slist_free_all(list);
}

CURLcode ccurlshim_msg_result(const CURLMsg *message) { return message->data.result; }

int ccurlshim_msg_is_done(const CURLMsg *message) { return message->msg == CURLMSG_DONE; }
