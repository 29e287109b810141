extension String {
    /// The parts written one after another into one new string of exactly their length.
    ///
    /// A spool task's paths are built a dozen times per task; `a + "/" + b + ".json"` grew a
    /// string piece by piece, each piece through string interpolation's append (about 550
    /// instructions a piece, 16,000 per spool task).
    static func joining(_ a: String, _ b: String, _ c: String = "", _ d: String = "", _ e: String = "") -> String {
        var parts = (a, b, c, d, e)
        let count = a.utf8.count + b.utf8.count + c.utf8.count + d.utf8.count + e.utf8.count
        return String(unsafeUninitializedCapacity: count) { buffer in
            var offset = 0
            func copy(_ part: inout String) {
                part.withUTF8 { utf8 in
                    guard let source = utf8.baseAddress, !utf8.isEmpty else { return }
                    precondition(offset + utf8.count <= buffer.count, "a part longer than counted")
                    (buffer.baseAddress! + offset).initialize(from: source, count: utf8.count)
                    offset += utf8.count
                }
            }
            copy(&parts.0)
            copy(&parts.1)
            copy(&parts.2)
            copy(&parts.3)
            copy(&parts.4)
            return offset
        }
    }
}
