import Systemd
import Testing

/// `HeapMemory` reads and trims glibc's own arenas (no stand-in): memory freed in the middle of
/// an arena is counted as free and given back by `trim()`.
@Suite struct HeapMemoryTests {
    @Test func freedMemoryIsCountedAndTrimmed() {
        // 20,000 blocks of 256 bytes (5 MB); the last one stays allocated, so the freed ones lie
        // below it: `free` cannot shrink the heap's top by itself, only `malloc_trim` can give
        // those pages back.
        let blocks = (0..<20_000).map { _ in UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8) }
        for block in blocks { block.storeBytes(of: 0xA5, as: UInt8.self) }
        let before = HeapMemory.freeBytes
        for block in blocks.dropLast() { block.deallocate() }
        let freed = HeapMemory.freeBytes
        #expect(freed - before >= 2 << 20, "free heap grew from \(before) to \(freed) bytes only")
        #expect(HeapMemory.trim(), "malloc_trim gave nothing back")
        blocks.last?.deallocate()
    }
}
