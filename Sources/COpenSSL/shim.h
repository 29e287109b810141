#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>

/* SHA-256's own context, a plain struct copied by assignment. The signer keeps HMAC's keyed
 * inner and outer states and copies them per signature, where EVP_MAC_init and EVP_MAC_final
 * allocate, copy and wipe a digest context each. These functions are deprecated since OpenSSL
 * 3.0 but exported by it (a build with no-deprecated would fail here, at compile time); the
 * wrappers keep the deprecation warnings out of the Swift callers. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
static inline int sd_sha256_init(SHA256_CTX *context) { return SHA256_Init(context); }
static inline int sd_sha256_update(SHA256_CTX *context, const void *data, size_t count) {
    return SHA256_Update(context, data, count);
}
static inline int sd_sha256_final(unsigned char *digest, SHA256_CTX *context) {
    return SHA256_Final(digest, context);
}
#pragma clang diagnostic pop
