internal import CLinuxShim

/// The C heap's free memory: what glibc's `malloc` keeps after a burst of work.
///
/// glibc keeps freed memory in its arenas (one per thread that allocated, up to eight per core)
/// for the next allocation, so a long-running service that served thousands of requests holds
/// megabytes it no longer uses for as long as it then stays idle. `trim()` gives those pages
/// back (`malloc_trim(0)`, which also releases free pages in the middle of an arena).
public enum HeapMemory {
    /// Bytes freed but kept in malloc's arenas (`mallinfo2().fordblks`, all arenas). Walks
    /// every arena's free lists: call it once in a while, not per request.
    public static var freeBytes: Int { Int(clinuxshim_heap_free_bytes()) }

    /// Gives the arenas' free pages back to the kernel. Returns whether any were.
    @discardableResult
    public static func trim() -> Bool { clinuxshim_heap_trim() == 1 }
}
