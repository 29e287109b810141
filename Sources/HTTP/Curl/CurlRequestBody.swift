import struct FoundationEssentials.Data

/// Owns a stable copy of a request body. curl reads `CURLOPT_POSTFIELDS` by reference while
/// the transfer runs, so the transfer stores this object until the transfer ends.
final class CurlRequestBody {
    let pointer: UnsafeMutableRawPointer
    let count: Int

    init(_ data: Data) {
        count = data.count
        // Never zero-sized: curl needs a non-null pointer even for an empty body.
        pointer = .allocate(byteCount: max(count, 1), alignment: 1)
        data.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress, count > 0 {
                pointer.copyMemory(from: base, byteCount: count)
            }
        }
    }

    deinit {
        pointer.deallocate()
    }
}
