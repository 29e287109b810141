import Testing

@testable import Delegate

/// What a reload compares: every key of the table, spelled `section.key`.
@Suite struct ConfigurationChangesTests {
    /// `configuration` with the value of `key` changed.
    func changing(_ key: ConfigurationKey, in configuration: DelegateConfiguration) -> DelegateConfiguration {
        var changed = configuration
        switch key.kind {
        case .string(let path): changed[keyPath: path] += "-changed"
        case .stringList(let path): changed[keyPath: path].append("changed")
        case .bool(let path): changed[keyPath: path].toggle()
        case .integer(let path): changed[keyPath: path] += 1
        case .seconds(let path): changed[keyPath: path] += 1
        case .identitySources: changed.identity.sources.reverse()
        }
        return changed
    }

    @Test(arguments: ConfigurationKey.all.map(\.dottedName))
    func aChangeOfEachKeyIsFoundAndCanBeUndone(name: String) throws {
        let key = try #require(ConfigurationKey.all.first { $0.dottedName == name })
        let running = DelegateConfiguration(hostName: "changes")
        let loaded = changing(key, in: running)
        #expect(loaded.keysChanged(from: running).map(\.dottedName) == [name])
        #expect(loaded.replacing(key, from: running) == running)
    }

    @Test func onlyTheKeysNamingTheRunningDaemonWaitForARestart() {
        let waiting = ConfigurationKey.all.filter { !$0.appliesOnReload }.map(\.dottedName)
        #expect(waiting == ["delegate.name", "queue.spool_dir", "queue.socket_path", "queue.credentials_socket_path"])
        let running = DelegateConfiguration(hostName: "changes")
        #expect(running.keysChanged(from: running).isEmpty)
    }
}
