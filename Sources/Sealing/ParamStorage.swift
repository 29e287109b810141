internal import COpenSSL

/// The memory a list of `OSSL_PARAM`s points into, owned for as long as the list is used.
///
/// An `OSSL_PARAM` keeps the addresses of its name and value, and OpenSSL reads them only in the
/// later call the list is passed to; a Swift string passed as `const char *` lives only for the
/// one call it is passed to, so names and values are copied here. Octet strings get at least
/// one byte (OpenSSL refuses a null address even for an empty value). Every copy is wiped
/// (`OPENSSL_cleanse`: values may be key material) and freed in `deinit`.
///
/// Not `Sendable`: made, used and dropped within one call.
final class ParamStorage {
    private var allocations: [UnsafeMutableRawBufferPointer] = []
    private var params: [OSSL_PARAM] = []

    deinit {
        for allocation in allocations {
            OPENSSL_cleanse(allocation.baseAddress, allocation.count)
            allocation.deallocate()
        }
    }

    func addUTF8String(_ name: String, _ value: String) {
        params.append(OSSL_PARAM_construct_utf8_string(copy(name), copy(value), 0))
    }

    func addOctetString(_ name: String, _ value: [UInt8]) {
        let buffer = allocate(value.count)
        buffer.copyBytes(from: value)
        params.append(OSSL_PARAM_construct_octet_string(copy(name), buffer.baseAddress, value.count))
    }

    /// Calls `body` with the terminated list; the storage stays alive until `body` returns.
    func withParams<Result>(_ body: (UnsafePointer<OSSL_PARAM>) -> Result) -> Result {
        let terminated = params + [OSSL_PARAM_construct_end()]
        return withExtendedLifetime(self) {
            terminated.withUnsafeBufferPointer { list in
                // An array of at least one element always has an address.
                body(list.baseAddress.unsafelyUnwrapped)
            }
        }
    }

    /// A NUL-terminated copy of `text`.
    private func copy(_ text: String) -> UnsafeMutablePointer<CChar> {
        let bytes = Array(text.utf8CString)
        let buffer = allocate(bytes.count)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return buffer.bindMemory(to: CChar.self).baseAddress.unsafelyUnwrapped
    }

    /// Zeroed memory of `count` bytes (at least one), freed in `deinit`.
    private func allocate(_ count: Int) -> UnsafeMutableRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 1)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        allocations.append(buffer)
        return buffer
    }
}
