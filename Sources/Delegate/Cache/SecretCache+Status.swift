import JSON

extension SecretCache.Statistics {
    /// The `cache` member of the status object (section 14).
    var jsonValue: JSONValue {
        .object([
            "hits": .integer(Int64(hits)), "misses": .integer(Int64(misses)),
            "revalidations": .integer(Int64(revalidations)), "staleServed": .integer(Int64(staleServed)),
            "entries": .integer(Int64(entries)),
        ])
    }
}
