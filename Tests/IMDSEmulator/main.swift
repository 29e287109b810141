import Foundation
import SigV4
import TestSupport

// The project's strict IMDSv2 server (TestSupport.IMDSServer) as a process, for tests that run the
// delegate outside this test process: the booted-systemd tier (Tests/Booted/run.sh) points the
// packaged delegate at it. It serves the credentials in its environment
// (IMDS_ACCESS_KEY_ID, IMDS_SECRET_ACCESS_KEY, IMDS_SESSION_TOKEN), valid for six hours, prints
// its base URL as the first line on stdout, and runs until it is killed.

let environment = ProcessInfo.processInfo.environment
guard let keyID = environment["IMDS_ACCESS_KEY_ID"], let secret = environment["IMDS_SECRET_ACCESS_KEY"] else {
    FileHandle.standardError.write(Data("imds-emulator: set IMDS_ACCESS_KEY_ID and IMDS_SECRET_ACCESS_KEY\n".utf8))
    exit(64)
}
let server = try IMDSServer(
    credentials: Credentials(
        accessKeyId: keyID, secretAccessKey: secret, sessionToken: environment["IMDS_SESSION_TOKEN"]),
    // When the keys really end (IMDS_EXPIRATION, seconds since 1970, as STS issued them), else in 6 h.
    expiration: environment["IMDS_EXPIRATION"].flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
        ?? Date().addingTimeInterval(6 * 3600),
    roleName: environment["IMDS_ROLE_NAME"] ?? "secrets-delegate-instance-role")
FileHandle.standardOutput.write(Data((server.baseURL + "\n").utf8))
while true { sleep(3600) }
