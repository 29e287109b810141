/// What the packaged unit's sandbox does to a path an operator configured, said alike in the
/// errors of the spool's layout and of the sockets the delegate binds itself.
enum SandboxHint {
    /// `ProtectHome=yes`: where a path cannot be reached from the service.
    static let hiddenHomes = "under the packaged unit (ProtectHome=yes) /home, /root and /run/user are hidden from it"

    /// `ProtectSystem=strict`: what a path outside the unit's own `directory` needs to be written.
    static func readOnly(outside directory: String) -> String {
        "under the packaged unit (ProtectSystem=strict) a path outside \(directory) needs `ReadWritePaths=` in a "
            + "drop-in (`systemctl edit secrets-delegate`)"
    }
}
