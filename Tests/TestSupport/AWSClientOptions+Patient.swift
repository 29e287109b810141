import AWSCore

extension AWSClientOptions {
    /// Limits for a test's client: the production defaults (connect within 3 s, answer within
    /// 15 s) with timeouts a loaded host cannot reach. When the whole suite starts at once a
    /// loopback server or moto can take seconds to answer, and a request timed out there is
    /// retried: the test then sees one attempt or request more than it counts.
    public static func patient(maxAttempts: Int = 3) -> AWSClientOptions {
        AWSClientOptions(maxAttempts: maxAttempts, connectTimeout: .seconds(30), requestTimeout: .seconds(90))
    }
}
