import AWSCore
import Foundation
import HTTP
import Logging
import SigV4

/// A moto_server (the AWS emulator from PyPI) on a free loopback port, shared by every test in the
/// process, with signature checking and IAM policy evaluation switched on.
///
/// moto authenticates every action after the first `INITIAL_NO_AUTH_ACTION_COUNT`; the first
/// three create an administrator, whose signed calls then create one IAM user (or role) per test,
/// so tests are isolated by their own users and secret prefixes. The server exits by itself when
/// the test process goes away.
public final class MotoServer: Sendable {
    public static let accountID = "123456789012"
    public static let region = "us-east-1"

    /// The seed document's full policy list.
    public static let fullPolicyActions = [
        "secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret",
        "secretsmanager:GetRandomPassword", "secretsmanager:GetSecretValue", "secretsmanager:ListSecretVersionIds",
        "secretsmanager:ListSecrets", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret",
    ]

    /// The seed document's minimum policy.
    public static let readOnlyPolicyActions = [
        "secretsmanager:Describe*", "secretsmanager:Get*", "secretsmanager:List*",
    ]

    public let endpoint: String
    public let admin: Credentials
    public let httpClient: CurlHTTPClient
    private let process: ChildProcess

    /// Process-wide servers, each started on first use. Tests that load moto heavily get their
    /// own, so that their hundreds of calls at once (moto's backends are not safe under
    /// concurrent writes, and slow under load) do not disturb the others.
    public enum Pool: Sendable {
        /// Every test's default.
        case main
        /// The SQS fleet tests.
        case queues
        /// A test whose lease timing must not wait behind the fleet's load.
        case leases
        /// The 300-task fleet test.
        case fleet
    }

    private static let holders: [Pool: Holder] = [
        .main: Holder(), .queues: Holder(), .leases: Holder(), .fleet: Holder(),
    ]

    /// The process-wide server of `pool`, started on first use.
    public static func shared(_ pool: Pool = .main) async throws -> MotoServer {
        try await holders[pool, default: Holder()].server()
    }

    private actor Holder {
        var started: Task<MotoServer, any Error>?

        func server() async throws -> MotoServer {
            if let started { return try await started.value }
            let task = Task { try await MotoServer.start() }
            started = task
            return try await task.value
        }
    }

    private init(endpoint: String, admin: Credentials, httpClient: CurlHTTPClient, process: ChildProcess) {
        self.endpoint = endpoint
        self.admin = admin
        self.httpClient = httpClient
        self.process = process
    }

    /// Starts moto on a free port. The port is chosen before moto binds it, so another test's
    /// server may take it first: then moto exits or the probe meets a stranger, and the start is
    /// retried on another port.
    private static func start() async throws -> MotoServer {
        var failures: [String] = []
        for _ in 0..<5 {
            do {
                return try await startOnce()
            } catch let error as MotoError where error.retryable {
                failures.append(error.description)
            }
        }
        throw MotoError("moto_server did not start: \(failures.joined(separator: "; "))")
    }

    private static func startOnce() async throws -> MotoServer {
        guard let port = LoopbackPorts.unusedPort() else { throw MotoError("no free loopback port") }
        var environment = ProcessInfo.processInfo.environment
        environment["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
        let process = try ChildProcess(
            executable: "/usr/bin/env", arguments: [TestPython.interpreter, "-c", launcherScript, String(port)],
            environment: environment)

        let endpoint = "http://127.0.0.1:\(port)"
        let http = try CurlHTTPClient(configuration: .init(environment: [:]), logger: Logger(label: "test.moto.http"))
        try await waitUntilUp(endpoint: endpoint, http: http, process: process)

        // The three unauthenticated actions: an administrator and its key.
        let bootstrap = IAMCaller(
            endpoint: endpoint, http: http,
            credentials: Credentials(accessKeyId: "AKIDBOOTSTRAP", secretAccessKey: "bootstrap"))
        let key: XMLScanner
        do {
            _ = try await bootstrap.call("CreateUser", ["UserName": "delegate-test-admin"])
            _ = try await bootstrap.call(
                "PutUserPolicy",
                ["UserName": "delegate-test-admin", "PolicyName": "all", "PolicyDocument": policy(actions: ["*"])]
            )
            key = try await bootstrap.call("CreateAccessKey", ["UserName": "delegate-test-admin"])
        } catch {
            throw MotoError("bootstrap on port \(port) failed: \(error)", retryable: true)
        }
        guard let id = key.value(of: "AccessKeyId"), let secret = key.value(of: "SecretAccessKey") else {
            throw MotoError("CreateAccessKey answered without a key", retryable: true)
        }
        return MotoServer(
            endpoint: endpoint,
            admin: Credentials(accessKeyId: id, secretAccessKey: secret),
            httpClient: http,
            process: process
        )
    }

    private static func waitUntilUp(endpoint: String, http: CurlHTTPClient, process: ChildProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw MotoError("moto_server exited at start (port taken? is moto[server] installed?)", retryable: true)
            }
            let probe = HTTPRequest(
                method: "GET", url: endpoint + "/moto-api/",
                options: HTTPRequestOptions(connectTimeout: .seconds(1), totalTimeout: .seconds(2)))
            // Only moto's own dashboard counts: another test's server may hold the port.
            if let response = try? await http.execute(probe), response.status == 200,
                String(decoding: response.body, as: UTF8.self).lowercased().contains("moto")
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw MotoError("moto_server did not start within 120 s")
    }

    /// Calls IAM as the administrator.
    @discardableResult
    public func iam(_ action: String, _ parameters: [String: String]) async throws -> XMLScanner {
        try await IAMCaller(endpoint: endpoint, http: httpClient, credentials: admin).call(action, parameters)
    }

    /// A new IAM user allowed `actions` on every resource, and its access key.
    public func createUser(allowing actions: [String], name: String = "user-\(UUID().uuidString.prefix(8))")
        async throws -> Credentials
    {
        try await iam("CreateUser", ["UserName": name])
        try await iam(
            "PutUserPolicy",
            ["UserName": name, "PolicyName": "access", "PolicyDocument": Self.policy(actions: actions)])
        let key = try await iam("CreateAccessKey", ["UserName": name])
        guard let id = key.value(of: "AccessKeyId"), let secret = key.value(of: "SecretAccessKey") else {
            throw MotoError("CreateAccessKey answered without a key")
        }
        return Credentials(accessKeyId: id, secretAccessKey: secret)
    }

    /// A new IAM role with `trustPolicy` allowed `actions`; returns its ARN.
    public func createRole(name: String, trustPolicy: String, allowing actions: [String]) async throws -> String {
        let created = try await iam("CreateRole", ["RoleName": name, "AssumeRolePolicyDocument": trustPolicy])
        try await iam(
            "PutRolePolicy",
            ["RoleName": name, "PolicyName": "access", "PolicyDocument": Self.policy(actions: actions)])
        return created.value(of: "Arn") ?? "arn:aws:iam::\(Self.accountID):role/\(name)"
    }

    /// A Secrets Manager endpoint description for this server.
    public func endpoint(service: String) -> AWSServiceEndpoint {
        AWSServiceEndpoint(signingName: service, region: Self.region, url: endpoint)
    }

    public static func policy(actions: [String]) -> String {
        let list = actions.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[\#(list)],"Resource":"*"}]}"#
    }

    /// Runs moto in-process in python, exiting when its parent (the test process) is gone.
    private static let launcherScript = """
        import os, sys, threading, time
        parent = os.getppid()
        def watch():
            while True:
                if os.getppid() != parent:
                    os._exit(0)
                time.sleep(0.5)
        threading.Thread(target=watch, daemon=True).start()
        from moto.server import main
        main(["-H", "127.0.0.1", "-p", sys.argv[1]])
        """
}

/// Signs and sends IAM query calls for test setup.
struct IAMCaller {
    let endpoint: String
    let http: CurlHTTPClient
    let credentials: Credentials

    func call(_ action: String, _ parameters: [String: String]) async throws -> XMLScanner {
        let client = AWSClient(
            endpoint: AWSServiceEndpoint(signingName: "iam", region: MotoServer.region, url: endpoint),
            // moto's IAM answers a concurrent call with a 500 now and then (its own race, seen in
            // parallel test runs): setup retries it as an SDK would; the tests check their own calls.
            options: .patient(maxAttempts: 3),
            httpClient: http
        )
        let response = try await client.send(
            .query(
                action: action, version: "2010-05-08",
                parameters: parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }),
            credentials: StaticCredentialProvider(credentials),
            logger: Logger(label: "test.moto")
        )
        guard let xml = XMLScanner(response.body) else { throw MotoError("\(action) answered with unreadable XML") }
        return xml
    }
}

public struct MotoError: Error, CustomStringConvertible {
    public let description: String
    /// Whether starting again on another port may help.
    public let retryable: Bool
    public init(_ description: String, retryable: Bool = false) {
        self.description = description
        self.retryable = retryable
    }
}
