import DelegateClient
extension CredentialMapping {
    /// The entry as a `[[credential]]` table for `check-config`.
    func renderTOML() -> [String] {
        var lines = [
            "[[credential]]",
            "unit = \(DelegateConfiguration.tomlString(unit))",
            "id = \(DelegateConfiguration.tomlString(id))",
            "connector = \(DelegateConfiguration.tomlString(connector))",
            "secret = \(DelegateConfiguration.tomlString(secret))",
        ]
        switch version {
        case .current: break
        case .stage(let stage): lines.append("version_stage = \(DelegateConfiguration.tomlString(stage))")
        case .id(let versionID): lines.append("version_id = \(DelegateConfiguration.tomlString(versionID))")
        }
        return lines
    }
}
