#ifndef CCURLSHIM_H
#define CCURLSHIM_H

#include <stddef.h>
#include <curl/curl.h>

/* libcurl, loaded on first use.
 *
 * The binary does not link libcurl: libcurl.so.4 and its ~30 dependencies (GnuTLS, Kerberos,
 * LDAP, SSH, ...) would otherwise be mapped and relocated at every process start, a third of
 * the start-up of a command such as `get` that only talks to the delegate's socket.
 * `ccurlshim_load` opens the library once per process and resolves every function below;
 * each `ccurlshim_` function calls the libcurl function of the same name (without the prefix).
 * Before a successful load they do nothing and return CURLE_FAILED_INIT, CURLM_INTERNAL_ERROR,
 * CURLSHE_NOT_BUILT_IN or NULL, so no path can call through an unresolved pointer.
 *
 * Every symbol carries the `ccurlshim_` prefix. */

/* Opens libcurl.so.4 and resolves its functions, once per process (thread-safe). Returns 1 when
 * libcurl is usable (7.85.0 or later); otherwise 0, with the reason in `error` (NUL-terminated). */
int ccurlshim_load(char *error, size_t error_size);

/* curl_global_init(CURL_GLOBAL_ALL), after taking SSLKEYLOGFILE out of the environment (libcurl
 * would write TLS session keys there); *key_log_file_ignored says whether it was set. */
CURLcode ccurlshim_global_init_all(int *key_log_file_ignored);
const char *ccurlshim_easy_strerror(CURLcode code);

CURL *ccurlshim_easy_init(void);
void ccurlshim_easy_cleanup(CURL *handle);
void ccurlshim_easy_reset(CURL *handle);
/* Typed wrappers for the variadic setopt/getinfo functions, which Swift cannot call. */
CURLcode ccurlshim_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurlshim_easy_setopt_ptr(CURL *handle, CURLoption option, const void *value);
CURLcode ccurlshim_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode ccurlshim_easy_setopt_write_function(CURL *handle, curl_write_callback callback);
CURLcode ccurlshim_easy_setopt_header_function(CURL *handle, curl_write_callback callback);
CURLcode ccurlshim_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
/* For the CURLINFO_*_T items, which curl writes as a curl_off_t (wider than long on 32-bit hosts). */
CURLcode ccurlshim_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value);

CURLM *ccurlshim_multi_init(void);
CURLMcode ccurlshim_multi_cleanup(CURLM *multi);
CURLMcode ccurlshim_multi_setopt_long(CURLM *multi, CURLMoption option, long value);
CURLMcode ccurlshim_multi_add_handle(CURLM *multi, CURL *handle);
CURLMcode ccurlshim_multi_remove_handle(CURLM *multi, CURL *handle);
CURLMcode ccurlshim_multi_perform(CURLM *multi, int *running);
CURLMcode ccurlshim_multi_poll(CURLM *multi, struct curl_waitfd *extra, unsigned int extra_count, int timeout_ms,
                               int *ready);
CURLMcode ccurlshim_multi_wakeup(CURLM *multi);
CURLMsg *ccurlshim_multi_info_read(CURLM *multi, int *remaining);
const char *ccurlshim_multi_strerror(CURLMcode code);

CURLSH *ccurlshim_share_init(void);
CURLSHcode ccurlshim_share_cleanup(CURLSH *share);
CURLSHcode ccurlshim_share_setopt_long(CURLSH *share, CURLSHoption option, long value);
const char *ccurlshim_share_strerror(CURLSHcode code);

/* The result of a finished transfer, read from the anonymous union in CURLMsg. */
CURLcode ccurlshim_msg_result(const CURLMsg *message);
/* True when the message says a transfer is done (CURLMSG_DONE). */
int ccurlshim_msg_is_done(const CURLMsg *message);

#endif
