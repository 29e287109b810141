import Foundation
import Glibc
import TestSupport
import Testing

@testable import Delegate

/// Configuration files others could change are refused: drop-ins decide who may use which
/// connector.
@Suite struct ConfigurationFileTests {
    @Test func aDropInOthersMayWriteIsRefusedNamingItsMode() throws {
        let directory = try TemporaryDirectory(prefix: "config-file")
        try FileManager.default.createDirectory(atPath: directory.path("connectors.d"), withIntermediateDirectories: true)
        let dropIn = directory.path("connectors.d/ci.toml")
        try "region = \"us-west-2\"\ncredentials = { type = \"instanceRole\" }\n"
            .write(toFile: dropIn, atomically: false, encoding: .utf8)
        let main = directory.path("delegate.toml")
        try "[delegate]\nname = \"h\"\n".write(toFile: main, atomically: false, encoding: .utf8)
        #expect(chmod(dropIn, 0o644) == 0 && chmod(main, 0o640) == 0)
        let loaded = try DelegateConfiguration.load(path: main, requireFile: true, environment: [:], hostName: "h")
        #expect(loaded.connectors.keys.sorted() == ["ci"])

        #expect(chmod(dropIn, 0o664) == 0)
        #expect(throws: ConfigurationError.self) {
            try DelegateConfiguration.load(path: main, requireFile: true, environment: [:], hostName: "h")
        }
        do {
            _ = try DelegateConfiguration.load(path: main, requireFile: true, environment: [:], hostName: "h")
        } catch {
            #expect("\(error)".contains(dropIn) && "\(error)".contains("mode 0664"), "\(error)")
        }

        #expect(chmod(dropIn, 0o644) == 0 && chmod(main, 0o646) == 0)
        do {
            _ = try DelegateConfiguration.load(path: main, requireFile: true, environment: [:], hostName: "h")
            Issue.record("a main file others may write was read")
        } catch {
            #expect("\(error)".contains("configuration file \(main) has mode 0646"), "\(error)")
        }

        // A connectors.d others may write is refused too: they could add a connector, or a link
        // to another file as one.
        // The mode is said whole: a sticky directory (1777, as /tmp) is not shown as 0777.
        #expect(chmod(main, 0o640) == 0)
        for (mode, shown) in [(mode_t(0o777), "0777"), (0o1777, "01777")] {
            #expect(chmod(directory.path("connectors.d"), mode) == 0)
            do {
                _ = try DelegateConfiguration.load(path: main, requireFile: true, environment: [:], hostName: "h")
                Issue.record("a connectors.d others may write was read")
            } catch {
                #expect("\(error)".contains("connectors.d has mode \(shown): others than its owner may write it"), "\(error)")
            }
        }
        #expect(chmod(directory.path("connectors.d"), 0o755) == 0)
        #expect(try DelegateConfiguration.load(path: main, requireFile: true, environment: [:], hostName: "h").connectors.count == 1)
    }

    /// Every error about the main file's text names the file, as connector and drop-in errors
    /// do; a value from the environment names its variable instead.
    @Test func errorsFromTheMainFileNameIt() throws {
        let path = "/etc/sd/delegate.toml"
        func description(_ toml: String?, _ environment: [String: String] = [:]) -> String {
            do {
                _ = try DelegateConfiguration.load(tomlText: toml, environment: environment, hostName: "h", path: path)
                return "loaded"
            } catch {
                return "\(error)"
            }
        }
        #expect(description("[delegate\n").hasPrefix(path + ": TOML syntax error at line 1"))
        #expect(description("[delegate]\ncolour = 1\n").hasPrefix(path + " [delegate] colour: unknown key"))
        #expect(description("[weather]\n").hasPrefix(path + " [weather]: unknown section"))
        #expect(description("[aws]\nmax_attempts = 0\n").hasPrefix(path + " [aws] max_attempts: must be between 1 and 20"))
        #expect(
            description("[connectors.x]\nregion = \"us-east-1\"\n")
                .hasPrefix(path + " [connectors.x] credentials: is required"))
        // Named once, not twice; an overriding variable is named instead of the file.
        #expect(!description("[connectors.x]\nregion = \"us-east-1\"\n").contains(path + " " + path))
        #expect(
            description("[aws]\nmax_attempts = 3\n", ["SECRETS_DELEGATE_AWS_MAX_ATTEMPTS": "0"])
                == "[aws] max_attempts (from SECRETS_DELEGATE_AWS_MAX_ATTEMPTS): must be between 1 and 20, not 0")
        // A default's problem is not the file's: a file that does not set the name, on a host
        // without a name.
        do {
            _ = try DelegateConfiguration.load(tomlText: "[aws]\nmax_attempts = 3\n", environment: [:], hostName: "", path: path)
            Issue.record("an empty default name was taken")
        } catch {
            #expect(error.key == "[delegate] name", "\(error)")
        }
        // No file, no name.
        #expect(
            description(nil, ["SECRETS_DELEGATE_AWS_MAX_ATTEMPTS": "0"])
                == "[aws] max_attempts (from SECRETS_DELEGATE_AWS_MAX_ATTEMPTS): must be between 1 and 20, not 0")
    }

    @Test func aFIFOOrADirectoryIsNoConfigurationFile() throws {
        let directory = try TemporaryDirectory(prefix: "config-file")
        let fifo = directory.path("fifo.toml")
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(ConfigurationFile.read(fifo) == .unusable("is not a regular file"))
        #expect(ConfigurationFile.read(directory.path("")) == .unusable("is not a regular file"))
        #expect(ConfigurationFile.read(directory.path("absent.toml")) == .missing)
    }

    /// A main file that is a link to nothing is refused, even where a missing file means
    /// "defaults": the delegate would otherwise run without the configuration the link was for.
    @Test func aMainFileLinkedToNothingIsRefusedNotTakenAsMissing() throws {
        let directory = try TemporaryDirectory(prefix: "config-file")
        let main = directory.path("delegate.toml")
        #expect(symlink(directory.path("moved-away.toml"), main) == 0)
        #expect(ConfigurationFile.read(main) == .unusable("is a symbolic link to nothing"))
        for requireFile in [false, true] {
            do {
                _ = try DelegateConfiguration.load(path: main, requireFile: requireFile, environment: [:], hostName: "h")
                Issue.record("a dangling main file was loaded (requireFile \(requireFile))")
            } catch {
                #expect("\(error)" == "configuration file \(main) is a symbolic link to nothing")
            }
        }
    }

    /// A configuration directory or a `connectors.d` that is a link to nothing is refused too: no
    /// file there would otherwise mean the defaults, or no drop-ins, unsaid.
    @Test func aDirectoryLinkedToNothingIsRefused() throws {
        let directory = try TemporaryDirectory(prefix: "config-file")
        #expect(symlink(directory.path("gone"), directory.path("etc")) == 0)
        let main = directory.path("etc/delegate.toml")
        #expect(ConfigurationFile.read(main) == .unusable("is in \(directory.path("etc")), a symbolic link to nothing"))
        #expect(ConfigurationFile.read(directory.path("nowhere/delegate.toml")) == .missing)

        let real = directory.path("delegate.toml")
        try "[delegate]\nname = \"h\"\n".write(toFile: real, atomically: false, encoding: .utf8)
        #expect(chmod(real, 0o640) == 0)
        #expect(symlink(directory.path("moved-drop-ins"), directory.path("connectors.d")) == 0)
        do {
            _ = try DelegateConfiguration.load(path: real, requireFile: true, environment: [:], hostName: "h")
            Issue.record("a dangling connectors.d was taken as no drop-ins")
        } catch {
            #expect("\(error)".contains("connectors.d is a symbolic link to nothing"), "\(error)")
        }
    }

    @Test func onlyRootOrTheDelegatesUserMayOwnOne() {
        let regular = S_IFREG | 0o644
        #expect(ConfigurationFile.problem(mode: regular, owner: 0, size: 10, ownUID: 998) == nil)
        #expect(ConfigurationFile.problem(mode: regular, owner: 998, size: 10, ownUID: 998) == nil)
        #expect(ConfigurationFile.problem(mode: regular, owner: 1000, size: 10, ownUID: 998)?.contains("uid 1000") == true)
        #expect(ConfigurationFile.problem(mode: regular, owner: 0, size: 2 << 20, ownUID: 998) == "is larger than 1 MiB")
    }
}
