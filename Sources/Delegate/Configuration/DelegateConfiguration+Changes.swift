extension DelegateConfiguration {
    /// The keys whose values differ between `self` and `other`, in the order of the spec.
    func keysChanged(from other: DelegateConfiguration) -> [ConfigurationKey] {
        ConfigurationKey.all.filter { key in
            switch key.kind {
            case .string(let path): self[keyPath: path] != other[keyPath: path]
            case .stringList(let path): self[keyPath: path] != other[keyPath: path]
            case .bool(let path): self[keyPath: path] != other[keyPath: path]
            case .integer(let path): self[keyPath: path] != other[keyPath: path]
            case .seconds(let path): self[keyPath: path] != other[keyPath: path]
            case .identitySources: identity.sources != other.identity.sources
            }
        }
    }

    /// `self` with the value of `key` taken from `other`.
    func replacing(_ key: ConfigurationKey, from other: DelegateConfiguration) -> DelegateConfiguration {
        var result = self
        switch key.kind {
        case .string(let path): result[keyPath: path] = other[keyPath: path]
        case .stringList(let path): result[keyPath: path] = other[keyPath: path]
        case .bool(let path): result[keyPath: path] = other[keyPath: path]
        case .integer(let path): result[keyPath: path] = other[keyPath: path]
        case .seconds(let path): result[keyPath: path] = other[keyPath: path]
        case .identitySources: result.identity.sources = other.identity.sources
        }
        return result
    }
}
