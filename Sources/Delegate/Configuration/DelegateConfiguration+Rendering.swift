import AWSCredentials

extension DelegateConfiguration {
    /// The effective configuration as TOML, for `secrets-delegate check-config`: every key of
    /// every section in the spec's order, so an operator sees what the daemon will really use.
    /// Loading the output in the file's place gives back an equal configuration: connectors of
    /// `connectors.d` drop-ins are shown commented out, since they are read from their files
    /// again (as tables they would be declared twice). The configuration holds no secrets
    /// (credentials are only ever referenced by name), so all of it can be printed.
    public func renderTOML() -> String {
        var lines: [String] = []
        var currentSection = ""
        for key in ConfigurationKey.all {
            if key.section != currentSection {
                if !currentSection.isEmpty { lines.append("") }
                lines.append("[\(key.section)]")
                currentSection = key.section
            }
            lines.append("\(key.name) = \(renderValue(of: key))")
        }
        for id in connectors.keys.sorted() {
            guard let named = connectors[id] else { continue }
            lines.append("")
            if named.isDropIn {
                lines.append("# a connectors.d drop-in, read from its file: shown commented out")
                lines.append(contentsOf: named.renderTOML().map { $0.hasPrefix("#") ? $0 : "# " + $0 })
            } else {
                lines.append(contentsOf: named.renderTOML())
            }
        }
        for mapping in credentialMappings {
            lines.append("")
            lines.append(contentsOf: mapping.renderTOML())
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func renderValue(of key: ConfigurationKey) -> String {
        switch key.kind {
        case .string(let path): Self.tomlString(self[keyPath: path])
        case .stringList(let path): Self.tomlArray(self[keyPath: path])
        case .bool(let path): self[keyPath: path] ? "true" : "false"
        case .integer(let path): String(self[keyPath: path])
        case .seconds(let path): Self.formatSeconds(self[keyPath: path])
        case .identitySources: Self.tomlArray(identity.sources.map(\.rawValue))
        }
    }

    static func tomlArray(_ strings: [String]) -> String {
        "[" + strings.map(tomlString).joined(separator: ", ") + "]"
    }

    /// A TOML basic string with every character TOML requires escaped.
    static func tomlString(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Whole seconds print as integers (`5`), fractions as decimals (`0.5`).
    static func formatSeconds(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            return String(Int(value))
        }
        return String(value)
    }
}
