import AWSCore
import SQS
import SigV4
import TestSupport

/// An SQS client of `https://sqs.test` whose requests go to `http` (scripted), making
/// `maxAttempts` attempts per call, with a manual clock, no sleeping and fixed jitter.
func scriptedSQSClient(_ http: ScriptedHTTPClient, maxAttempts: Int = 1, accessKeyID: String) -> SQSClient {
    let aws = AWSClient(
        endpoint: AWSServiceEndpoint(signingName: "sqs", region: "us-east-1", url: "https://sqs.test"),
        options: AWSClientOptions(maxAttempts: maxAttempts), httpClient: http, clock: ManualClock(),
        sleeper: RecordingSleeper(), jitter: { 0.5 })
    let credentials = StaticCredentialProvider(Credentials(accessKeyId: accessKeyID, secretAccessKey: "scripted-key-unused"))
    return SQSClient(aws: aws, credentials: credentials)
}
