import Testing

@testable import TaskQueue

/// The socket's policy in force, as any thread checks a peer against it.
@Suite struct PeerAdmissionTests {
    let nobody = PeerCredentials(pid: 1, uid: 65534, gid: 65534)

    /// A reload that leaves the socket's lists alone installs no new generation: peers admitted
    /// under the policy keep the one-load check. A changed policy is one, and decides for peers
    /// admitted before it.
    @Test func theSamePolicyAgainIsNoNewGeneration() {
        let admission = PeerAdmission()
        let allowing = PeerPolicy.Resolved(ownUID: 12345, uids: [65534], gids: [])
        admission.install(allowing)
        let first = admission.current.generation
        admission.install(allowing)
        #expect(admission.current.generation == first)
        #expect(admission.stillAllows(nobody, admittedUnder: first))

        admission.install(PeerPolicy.Resolved(ownUID: 12345, uids: [], gids: []))
        #expect(admission.current.generation == first + 1)
        #expect(!admission.stillAllows(nobody, admittedUnder: first))
    }
}
