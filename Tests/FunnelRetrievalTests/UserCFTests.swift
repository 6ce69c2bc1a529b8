import Foundation
import FunnelData
import FunnelRetrieval
import Testing

@Suite struct UserCFTests {
    /// u0 {i0, i1}, u1 {i0, i1, i2}, u2 {i2, i3}, u3 {i3}: every item but i3 has two users.
    static let matrix = InteractionMatrix(userCount: 4, itemCount: 4, entries: [
        (0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1), (1, 2, 1), (2, 2, 1), (2, 3, 1), (3, 3, 1),
    ])

    @Test func similaritiesByHand() {
        let sims = UserCF.similarities(Self.matrix, k: 3)
        let l3 = Float(log(3.0))
        // sim(u0,u1) = (1/ln 3 + 1/ln 3) / √(2·3); sim(u1,u2) = (1/ln 3) / √(3·2); sim(u2,u3) = (1/ln 3) / √(2·1).
        let (s01, s12, s23) = (2 / l3 / Float(6).squareRoot(), 1 / l3 / Float(6).squareRoot(), 1 / l3 / Float(2).squareRoot())
        #expect(Array(sims.row(0).neighbours) == [1] && abs(sims.row(0).scores.first! - s01) < 1e-6)
        #expect(Array(sims.row(1).neighbours) == [0, 2] && zip(sims.row(1).scores, [s01, s12]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(Array(sims.row(2).neighbours) == [3, 1] && abs(sims.row(2).scores.first! - s23) < 1e-6)
        // score(u0, i2) = sim(u0,u1) · like(u1,i2); i3 is reached by no neighbour of u0.
        let scores = UserCF.scores(user: 0, similarities: sims, matrix: Self.matrix)
        #expect(abs(scores[2] - s01) < 1e-6 && scores[3] == 0)
    }

    /// Popular items count for less: two users sharing a rare item are closer than two sharing a popular one.
    @Test func rareItemsWeighMore() {
        var entries: [(user: Int32, item: Int32, weight: Float)] = [(0, 0, 1), (1, 0, 1), (2, 1, 1), (3, 1, 1)]
        for u in 4..<20 { entries.append((Int32(u), 1, 1)) }   // item 1 is popular
        entries += [(0, 5, 1), (2, 5, 1)]   // give u0 and u2 equal sizes
        entries += [(1, 6, 1), (3, 6, 1)]
        let sims = UserCF.similarities(InteractionMatrix(userCount: 20, itemCount: 7, entries: entries), k: 20)
        let s01 = sims.row(0).scores[sims.row(0).neighbours.firstIndex(of: 1)!]
        let s23 = sims.row(2).scores[sims.row(2).neighbours.firstIndex(of: 3)!]
        #expect(s01 > s23, "sharing a 2-user item \(s01) vs an 18-user item \(s23)")
    }

    /// Online: the same four users as events; u0's nearest user is u1, whose recent actions bring i2.
    @Test func channelScoresNeighboursRecentActionsByHand() async throws {
        let t0 = Date(timeIntervalSince1970: 1_735_689_600)
        var events: [Event] = []
        for (k, (u, i)) in [("u0", "i0"), ("u0", "i1"), ("u1", "i0"), ("u1", "i1"), ("u1", "i2"), ("u2", "i2"), ("u2", "i3"), ("u3", "i3")].enumerated() {
            events.append(Event(userID: u, itemID: i, type: .click, timestamp: t0.addingTimeInterval(Double(k))))
        }
        events.append(Event(userID: "u1", itemID: "i4", type: .share, timestamp: t0.addingTimeInterval(100)))   // after the offline build
        events.append(Event(userID: "u1", itemID: "i5", type: .exposure, timestamp: t0.addingTimeInterval(101)))
        var builder = EventMatrixBuilder()
        for e in events.prefix(8) { builder.add(e) }
        let index = NeighbourIndex(model: "usercf", ids: builder.users, lists: UserCF.similarities(builder.matrix(), k: 3))
        let recent = LastNIndex()
        recent.record(events)
        let channel = UserToItemChannel(index: index, recent: recent)
        let context = RetrievalContext(userID: "u0", now: t0, recentActions: recent.actions(of: "u0"))
        let got = try await channel.retrieve(for: context, limit: 10)
        // u0's only neighbour is u1, sim = 2 / ln 3 / √6: i4 (share, weight 4) then i2 (click, 1);
        // i0 and i1 are u0's own, the exposure of i5 is no interest.
        let s01 = 2 / log(3.0) / 6.0.squareRoot()
        #expect(got.map(\.item) == ["i4", "i2"])
        #expect(abs(got[0].score - 4 * s01) < 1e-6 && abs(got[1].score - s01) < 1e-6)
        // With the built items interned in the LastN index (i4 came later and is not), the same answer.
        let internedRecent = LastNIndex(items: builder.items)
        internedRecent.record(events)
        let interned = try await UserToItemChannel(index: index, recent: internedRecent).retrieve(for: context, limit: 10)
        #expect(interned.map(\.item) == ["i4", "i2"] && zip(interned, got).allSatisfy { abs($0.score - $1.score) < 1e-6 })
        // A channel built before the neighbours' actions arrived finds them by id.
        let early = LastNIndex(items: builder.items)
        let earlyChannel = UserToItemChannel(index: index, recent: early)
        early.record(events)
        let late = try await earlyChannel.retrieve(for: context, limit: 10)
        #expect(late.map(\.item) == ["i4", "i2"] && zip(late, got).allSatisfy { abs($0.score - $1.score) < 1e-6 })
        #expect(try await channel.retrieve(for: RetrievalContext(userID: "stranger", now: t0), limit: 10).isEmpty)
    }
}
