#ifndef CCURLSHIM_H
#define CCURLSHIM_H

#include <curl/curl.h>

/* Typed wrappers for libcurl's variadic functions, which Swift cannot call.
 * Every symbol carries the `ccurlshim_` prefix. */

CURLcode ccurlshim_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurlshim_easy_setopt_ptr(CURL *handle, CURLoption option, const void *value);
CURLcode ccurlshim_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode ccurlshim_easy_setopt_write_function(CURL *handle, curl_write_callback callback);
CURLcode ccurlshim_easy_setopt_header_function(CURL *handle, curl_write_callback callback);
CURLcode ccurlshim_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode ccurlshim_easy_getinfo_ptr(CURL *handle, CURLINFO info, void **value);
CURLMcode ccurlshim_multi_setopt_long(CURLM *handle, CURLMoption option, long value);
CURLSHcode ccurlshim_share_setopt_long(CURLSH *handle, CURLSHoption option, long value);

/* curl_global_init(CURL_GLOBAL_ALL): the flag is a composite macro Swift cannot import. */
CURLcode ccurlshim_global_init_all(void);
/* The result of a finished transfer, read from the anonymous union in CURLMsg. */
CURLcode ccurlshim_msg_result(const CURLMsg *message);
/* True when the message says a transfer is done (CURLMSG_DONE). */
int ccurlshim_msg_is_done(const CURLMsg *message);

#endif
