import Foundation
import FunnelData
import FunnelTestSupport
import Testing

@Suite struct SplitTests {
    static let interactions = (0..<100).map { Interaction(user: Int32($0 % 5), item: Int32($0), timestamp: Int64(1000 - $0)) }

    @Test func leaveLastOutHoldsOutEachUsersLatest() {
        let split = LeaveLastOutSplit(Self.interactions, userCount: 5)
        // User 0 has items 0, 5, …, 95 at falling timestamps: the latest are 0 (test) and 5 (validation).
        #expect(split.test[0] == 0 && split.validation[0] == 5)
        #expect(split.train.count == 90 && !split.trainItems()[0].contains(0))
        #expect(split.allItems()[0].count == 20)
    }

    @Test func globalTemporalNeverTrainsOnTheFuture() {
        let (train, test) = InteractionSplit.globalTemporal(Self.interactions, testFraction: 0.2)
        #expect(train.count == 80 && test.count == 20)
        #expect(train.map(\.timestamp).max()! <= test.map(\.timestamp).min()!)
    }

    @Test func randomSplitIsSeeded() {
        let a = InteractionSplit.random(Self.interactions, testFraction: 0.3, seed: 9)
        let b = InteractionSplit.random(Self.interactions, testFraction: 0.3, seed: 9)
        #expect(a.test == b.test && a.train.count + a.test.count == 100)
        #expect(a.test.count > 15 && a.test.count < 45)
    }

    @Test func sequenceFileInternsIdsAndNamesBadLines() throws {
        let dir = try TestData.temporaryDirectory()
        let good = dir.appendingPathComponent("seq.txt")
        try Data("1 10\n1 11\n2 10\n".utf8).write(to: good)
        let file = try SequenceFile.read(good)
        #expect(file.userCount == 2 && file.itemCount == 2)
        #expect(file.interactions.map(\.item) == [0, 1, 0] && file.interactions.map(\.timestamp) == [1, 2, 3])
        let bad = dir.appendingPathComponent("bad.txt")
        try Data("1 10\n1 2 3\n".utf8).write(to: bad)
        #expect(throws: DataError(file: bad.path, line: 2, "expected 'user item', found 3 fields")) { try SequenceFile.read(bad) }
    }
}
