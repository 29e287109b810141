import AWSCore
import AWSCredentials
import HTTP
import SecretsManager
import SigV4
import TestSupport

/// A Secrets Manager client over `http` (scripted answers) at a made-up endpoint, signing with a
/// made-up access key whose secret is `secretAccessKey`.
func scriptedSecretsManager(
    _ http: any HTTPClient, accessKeyID: String = "AKIDSCRIPTED", secretAccessKey: String = "scripted-test-secret"
) -> SecretsManagerClient {
    let aws = AWSClient(
        endpoint: AWSServiceEndpoint(signingName: "secretsmanager", region: "us-east-1", url: "http://sm.test"),
        httpClient: http)
    return SecretsManagerClient(
        aws: aws,
        credentials: StaticCredentialProvider(Credentials(accessKeyId: accessKeyID, secretAccessKey: secretAccessKey)))
}
