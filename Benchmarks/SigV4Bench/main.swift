import Dispatch
import FoundationEssentials
import SigV4

/// Times `SigV4Signer.sign` on a Secrets Manager GetSecretValue request, the request the
/// delegate signs most, with a warm `SigningKeyCache` (one HMAC for the signature) and with
/// no cache (the signing key derived on every call: five more HMACs).
///
/// Usage: SigV4Bench [iterations] [rounds] [cached|cold]; prints one JSON object per line, one
/// line per mode and round, with the mean ns per signature over `iterations` signatures. Naming
/// a mode runs only that one (for a profile of it).

let arguments = CommandLine.arguments
let iterations = arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000
let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
let onlyMode = arguments.count > 3 ? arguments[3] : nil

let body = Array(#"{"SecretId":"devops/db"}"#.utf8)
let request = SigV4Request(
    method: "POST",
    path: "/",
    headers: [
        (name: "Host", value: "secretsmanager.us-east-1.amazonaws.com"),
        (name: "Content-Type", value: "application/x-amz-json-1.1"),
        (name: "X-Amz-Target", value: "secretsmanager.GetSecretValue"),
    ],
    payload: .bytes(body)
)
let credentials = Credentials(
    accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
let date = Date(timeIntervalSince1970: 1_795_262_400)  // 2026-11-21T12:00:00Z

let cached = SigV4Signer(
    credentials: credentials, region: "us-east-1", service: "secretsmanager", keyCache: SigningKeyCache())
let cold = SigV4Signer(credentials: credentials, region: "us-east-1", service: "secretsmanager")

/// Keeps the optimiser from dropping the work.
nonisolated(unsafe) var sink = 0

func measure(_ signer: SigV4Signer, count: Int) throws -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<count {
        sink &+= try signer.sign(request, date: date).signature.utf8.count
    }
    let end = DispatchTime.now().uptimeNanoseconds
    return Double(end - start) / Double(count)
}

// Warm-up: page in code, fill the cache.
_ = try measure(cached, count: iterations / 10 + 1)
_ = try measure(cold, count: iterations / 10 + 1)

for round in 0..<rounds {
    for (mode, signer) in [("cached", cached), ("cold", cold)] where onlyMode == nil || onlyMode == mode {
        let ns = try measure(signer, count: iterations)
        print(#"{"impl":"swift","mode":"\#(mode)","round":\#(round),"iterations":\#(iterations),"nsPerOp":\#(ns)}"#)
    }
}
if sink == 42 { print("") }
