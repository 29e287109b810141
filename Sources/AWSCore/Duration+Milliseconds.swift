extension Duration {
    /// Whole milliseconds, rounded down, for log fields.
    var milliseconds: Int64 {
        let parts = components
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
    }
}
