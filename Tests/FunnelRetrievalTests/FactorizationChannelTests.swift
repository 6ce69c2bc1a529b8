import Foundation
import FunnelData
import FunnelRetrieval
import Testing

@Suite struct FactorizationChannelTests {
    static let now = Date(timeIntervalSince1970: 1_767_225_600)

    /// 40 users in 4 groups, each taking 4–6 of the 8 items of its group's block of 32 items.
    static let matrix: InteractionMatrix = {
        var random = SplitMix64(seed: 12)
        var entries: [(user: Int32, item: Int32, weight: Float)] = []
        for u in 0..<40 {
            for _ in 0..<(4 + Int(random.next() % 3)) { entries.append((Int32(u), Int32((u % 4) * 8 + Int(random.next() % 8)), 1)) }
        }
        return InteractionMatrix(userCount: 40, itemCount: 32, entries: entries)
    }()
    static let space = try! IDInterner(ids: (0..<32).map { "i\($0)" })

    static func channel(isAvailable: @escaping (String) -> Bool = { _ in true }) -> FactorizationChannel<ImplicitALS.FoldIn> {
        var parameters = ImplicitALS.Parameters()
        (parameters.factors, parameters.iterations) = (8, 10)
        return FactorizationChannel(matrix: matrix, space: space, parameters: parameters, isAvailable: isAvailable)
    }

    static func context(_ rows: [Int32]) -> RetrievalContext {
        let actions = rows.map { Event(userID: "someone", itemID: "i\($0)", type: .click, timestamp: now) }
        return RetrievalContext(userID: "someone", now: now, recentActions: actions, rows: rows, location: nil)
    }

    /// Folded in from all of a user's pairs with enough steps, the vector is the one the fit
    /// solved for that user against the same item vectors (the fit's last half-step moved the
    /// items, so the two agree closely rather than exactly).
    @Test func foldInSolvesTheUsersSystem() {
        var channel = Self.channel()
        channel.foldInSteps = 8
        let f = channel.model.model.factors
        for u in [0, 13, 26] {
            let (items, _) = Self.matrix.items(of: u)
            let folded = channel.foldIn(items.map { (row: $0, weight: 1) })!
            let fitted = Array(channel.model.model.userFactors[(u * f)..<((u + 1) * f)])
            let dot = zip(folded, fitted).reduce(0) { $0 + $1.0 * $1.1 }
            let norms = (folded.reduce(0) { $0 + $1 * $1 } * fitted.reduce(0) { $0 + $1 * $1 }).squareRoot()
            #expect(dot / norms > 0.95, "user \(u): cosine \(dot / norms)")
        }
        #expect(channel.foldIn([(row: -1, weight: 1), (row: 3, weight: -1)]) == nil, "nothing the model knows, nothing positive")
    }

    static func bprChannel(isAvailable: @escaping (String) -> Bool = { _ in true }) -> FactorizationChannel<BPR> {
        var parameters = BPR.Parameters()
        (parameters.factors, parameters.epochs) = (8, 100)
        return FactorizationChannel(BPR(matrix, parameters: parameters), space: space, isAvailable: isAvailable)
    }

    /// A user seen by no fit, with one action, gets items of that action's block first, never the
    /// item itself, and never an unavailable one; under ALS and under BPR.
    @Test(arguments: ["als", "bpr"])
    func aFirstActionIsServedFromItsBlock(_ model: String) async throws {
        let isAvailable: (String) -> Bool = { $0 != "i20" }
        let channel: any RetrievalChannel = model == "als" ? Self.channel(isAvailable: isAvailable) : Self.bprChannel(isAvailable: isAvailable)
        #expect(channel.name == model)
        let proposed = try await channel.retrieve(for: Self.context([17]), limit: 6)
        #expect(proposed.count == 6)
        #expect(proposed.allSatisfy { $0.item != "i17" && $0.item != "i20" })
        #expect(proposed.prefix(4).allSatisfy { (16..<24).contains(Int($0.row)) }, "\(proposed.map(\.item)) \(proposed.map(\.score))")
        #expect(proposed.allSatisfy { $0.item == "i\($0.row)" })
        #expect(try await channel.retrieve(for: Self.context([]), limit: 6).isEmpty)
    }

    /// BPR's query is [x, 1] against items indexed as [y_i, b_i]: the channel's scores are the
    /// fit's x · y_i + b_i for the folded-in x.
    @Test func bprScoresAreTheFitsScoresForTheFoldedInVector() async throws {
        let channel = Self.bprChannel()
        let query = channel.foldIn([(row: 17, weight: 1)])!
        #expect(query.count == 9 && query.last == 1)
        let proposed = try await channel.retrieve(for: Self.context([17]), limit: 5)
        for item in proposed {
            let vector = channel.model.indexedVector(ofItem: Int(item.row))
            let expected = zip(query, vector).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            #expect(abs(Float(item.score) - expected) < 1e-4, "\(item.item): \(item.score) against \(expected)")
        }
    }
}
