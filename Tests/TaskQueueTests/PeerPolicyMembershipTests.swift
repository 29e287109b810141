import Testing

@testable import TaskQueue

/// The one rule for "holds one of these groups", shared by the socket's policy and connectors'
/// `allowed_groups`: the kernel's word where it gave one, the user database only where it did not.
@Suite struct PeerPolicyMembershipTests {
    @Test func theKernelsGroupsDecideWhenItGaveThem() throws {
        // Root is in group 0 in the user database (as everywhere this runs).
        try #require(PeerPolicy.lookUpGroups(ofUID: 0)?.contains(0) == true)
        #expect(PeerPolicy.holdsOne(of: [0], uid: 0, gid: nil, groups: nil) == true)
        // A peer that dropped the group holds it no more, whatever the database says.
        #expect(PeerPolicy.holdsOne(of: [0], uid: 0, gid: 1, groups: []) == false)
        // A group given to the process alone (a unit's SupplementaryGroups=) counts.
        #expect(PeerPolicy.holdsOne(of: [4242], uid: 65534, gid: 65534, groups: [17, 4242]) == true)
        // The gid counts without the supplementary list.
        #expect(PeerPolicy.holdsOne(of: [4242], uid: 65534, gid: 4242, groups: []) == true)
    }

    @Test func noGroupsListedAdmitsNoOne() {
        #expect(PeerPolicy.holdsOne(of: [], uid: 0, gid: 0, groups: [0]) == false)
    }

    /// Where the user database must answer and cannot, membership is unknown (nil), not "none":
    /// the socket admits no one by a group then, a connector refuses as retryable.
    @Test func aDatabaseThatCannotAnswerLeavesMembershipUnknown() {
        #expect(PeerPolicy.holdsOne(of: [4242], uid: 1000, gid: nil, groups: nil, groupsOf: { _ in nil }) == nil)
        #expect(PeerPolicy.holdsOne(of: [4242], uid: 1000, gid: nil, groups: nil, groupsOf: { _ in [] }) == false)
        #expect(PeerPolicy.holdsOne(of: [4242], uid: 1000, gid: nil, groups: nil, groupsOf: { _ in [4242] }) == true)
        // The kernel's word needs no database.
        #expect(PeerPolicy.holdsOne(of: [4242], uid: 1000, gid: 7, groups: [4242], groupsOf: { _ in nil }) == true)
    }
}
