import FunnelData
import FunnelEval
import FunnelTensor

/// The popularity baseline under the two protocols of the quality table: leave-last-out with
/// N sampled negatives (HR@10, NDCG@10, as SASRec reports) and full ranking (HR@10, NDCG@10,
/// Recall@50, which is HR@50 with one held-out item).
public struct BaselineEvaluation: Codable, Sendable {
    public var dataset: String
    public var model: String
    public var users: Int
    public var items: Int
    public var interactions: Int
    public var sampling: String
    public var negatives: Int
    public var sampledHR10: Double
    public var sampledNDCG10: Double
    public var fullHR10: Double
    public var fullNDCG10: Double
    public var fullRecall50: Double
    /// Full-ranking Recall@50 over the users whose test item is among the 80% least popular
    /// items (by training count): the long tail.
    public var tailRecall50: Double?

    public static func popularity(_ dataset: EvaluationDataset, interactions: [Interaction], userCount: Int, itemCount: Int,
                                  negatives: Int = 100, sampling: SampledRanking.Sampling = .uniform, seed: UInt64 = 42) -> BaselineEvaluation {
        let split = LeaveLastOutSplit(interactions, userCount: userCount)
        let popularity = Popularity(items: split.train.map(\.item), itemCount: itemCount)
        return evaluate(dataset, model: "popularity", split: split, itemCount: itemCount, interactions: interactions.count,
                        negatives: negatives, sampling: sampling, seed: seed) { users in
            Array([[Float]](repeating: popularity.counts, count: users.count).joined())
        }
    }

    /// ItemCF with every interaction weighted 1 (see `itemToItem`).
    public static func itemCF(_ dataset: EvaluationDataset, interactions: [Interaction], userCount: Int, itemCount: Int, k: Int = 200,
                              lastN: Int = 50, negatives: Int = 100, sampling: SampledRanking.Sampling = .uniform, seed: UInt64 = 42) -> BaselineEvaluation {
        itemToItem(dataset, model: "itemcf", interactions: interactions, userCount: userCount, itemCount: itemCount, lastN: lastN,
                   negatives: negatives, sampling: sampling, seed: seed) { ItemCF.similarities($0, k: k) }
    }

    /// Swing with the given parameters (see `itemToItem`).
    public static func swing(_ dataset: EvaluationDataset, interactions: [Interaction], userCount: Int, itemCount: Int,
                             parameters: Swing.Parameters = Swing.Parameters(), lastN: Int = 50, negatives: Int = 100,
                             sampling: SampledRanking.Sampling = .uniform, seed: UInt64 = 42) -> BaselineEvaluation {
        itemToItem(dataset, model: "swing", interactions: interactions, userCount: userCount, itemCount: itemCount, lastN: lastN,
                   negatives: negatives, sampling: sampling, seed: seed) { Swing.similarities($0, parameters) }
    }

    /// UserCF on the training histories (training items and the validation item, weight 1): a
    /// user's score for an item sums the similarities of their `k` most similar users who took it.
    public static func userCF(_ dataset: EvaluationDataset, interactions: [Interaction], userCount: Int, itemCount: Int, k: Int = 100,
                              negatives: Int = 100, sampling: SampledRanking.Sampling = .uniform, seed: UInt64 = 42) -> BaselineEvaluation {
        let split = LeaveLastOutSplit(interactions, userCount: userCount)
        let matrix = trainingMatrix(split, itemCount: itemCount).matrix
        let similarities = UserCF.similarities(matrix, k: k)
        return evaluate(dataset, model: "usercf", split: split, itemCount: itemCount, interactions: interactions.count,
                        negatives: negatives, sampling: sampling, seed: seed) { users in
            users.flatMap { UserCF.scores(user: Int($0), similarities: similarities, matrix: matrix) }
        }
    }

    /// Implicit ALS on the training histories (training items and the validation item, weight
    /// 1): a user's score for an item is x_u · y_i.
    public static func als(_ dataset: EvaluationDataset, interactions: [Interaction], userCount: Int, itemCount: Int,
                           parameters: ImplicitALS.Parameters = ImplicitALS.Parameters(), negatives: Int = 100,
                           sampling: SampledRanking.Sampling = .uniform, seed: UInt64 = 42) -> BaselineEvaluation {
        factorization(dataset, model: "als", interactions: interactions, userCount: userCount, itemCount: itemCount,
                      negatives: negatives, sampling: sampling, seed: seed) { matrix in
            let model = ImplicitALS(matrix, parameters: parameters)
            return { model.scores(user: $0) }
        }
    }

    /// BPR on the training histories (training items and the validation item): a user's score
    /// for an item is x_u · y_i + b_i.
    public static func bpr(_ dataset: EvaluationDataset, interactions: [Interaction], userCount: Int, itemCount: Int,
                           parameters: BPR.Parameters = BPR.Parameters(), negatives: Int = 100,
                           sampling: SampledRanking.Sampling = .uniform, seed: UInt64 = 42) -> BaselineEvaluation {
        factorization(dataset, model: "bpr", interactions: interactions, userCount: userCount, itemCount: itemCount,
                      negatives: negatives, sampling: sampling, seed: seed) { matrix in
            let model = BPR(matrix, parameters: parameters)
            return { model.scores(user: $0) }
        }
    }

    /// A factorisation judged as its channel serves it: each user's query folded in from their
    /// latest `lastN` training items (and validation item, weight 1) against the fitted item
    /// vectors, in place of the fit's own user vector. `model` names it, as `bpr-fold-in`.
    public static func foldedIn<Model: FoldInFactorization>(_ dataset: EvaluationDataset, model: String, interactions: [Interaction],
                                                           userCount: Int, itemCount: Int, lastN: Int = 50, negatives: Int = 100,
                                                           sampling: SampledRanking.Sampling = .uniform, seed: UInt64 = 42,
                                                           fit: (InteractionMatrix) -> Model) -> BaselineEvaluation {
        let split = LeaveLastOutSplit(interactions, userCount: userCount)
        let (histories, matrix) = trainingMatrix(split, itemCount: itemCount)
        let factorization = fit(matrix)
        let dimension = factorization.indexedDimension
        let vectors = (0..<itemCount).flatMap { factorization.indexedVector(ofItem: $0) }
        // Once per user: both protocols ask for every user's scores.
        let queries = histories.map { factorization.foldIn($0.suffix(lastN).map { (row: $0, weight: 1) }, steps: Model.defaultFoldInSteps) }
        return evaluate(dataset, model: model, split: split, itemCount: itemCount, interactions: interactions.count,
                        negatives: negatives, sampling: sampling, seed: seed) { users in
            users.flatMap { u -> [Float] in
                var scores = [Float](repeating: 0, count: itemCount)
                guard let query = queries[Int(u)] else { return scores }
                vectors.withUnsafeBufferPointer { y in
                    query.withUnsafeBufferPointer { q in
                        scores.withUnsafeMutableBufferPointer { s in
                            BLAS.gemm(transposeA: false, transposeB: true, m: 1, n: itemCount, k: dimension, a: q.baseAddress!,
                                      b: y.baseAddress!, beta: 0, c: s.baseAddress!)
                        }
                    }
                }
                return scores
            }
        }
    }

    /// A model that `fit` makes from the matrix of the training histories (training items and
    /// the validation item, weight 1), judged by the scores it gives each user for every item.
    public static func factorization(_ dataset: EvaluationDataset, model: String, interactions: [Interaction], userCount: Int,
                                     itemCount: Int, negatives: Int = 100, sampling: SampledRanking.Sampling = .uniform, seed: UInt64 = 42,
                                     fit: (InteractionMatrix) -> (Int) -> [Float]) -> BaselineEvaluation {
        let split = LeaveLastOutSplit(interactions, userCount: userCount)
        let scores = fit(trainingMatrix(split, itemCount: itemCount).matrix)
        return evaluate(dataset, model: model, split: split, itemCount: itemCount, interactions: interactions.count,
                        negatives: negatives, sampling: sampling, seed: seed) { users in users.flatMap { scores(Int($0)) } }
    }

    /// item2vec on the training histories in time order; a user's score for an item sums the
    /// cosine similarities (each item's `k` nearest) from their last `lastN` items, as ItemCF's.
    public static func item2vec(_ dataset: EvaluationDataset, interactions: [Interaction], userCount: Int, itemCount: Int,
                                parameters: Item2Vec.Parameters = Item2Vec.Parameters(), k: Int = 200, lastN: Int = 50,
                                negatives: Int = 100, sampling: SampledRanking.Sampling = .uniform, seed: UInt64 = 42) -> BaselineEvaluation {
        let split = LeaveLastOutSplit(interactions, userCount: userCount)
        let histories = trainingMatrix(split, itemCount: itemCount).histories
        let similarities = Item2Vec(sequences: histories, itemCount: itemCount, parameters: parameters).neighbours(k: k)
        return evaluate(dataset, model: "item2vec", split: split, itemCount: itemCount, interactions: interactions.count,
                        negatives: negatives, sampling: sampling, seed: seed) { users in
            users.flatMap { u in
                ItemCF.scores(history: histories[Int(u)].suffix(lastN).map { ($0, 1) }, similarities: similarities, itemCount: itemCount)
            }
        }
    }

    /// Each user's training items and validation item in time order, and the matrix of them (weight 1).
    public static func trainingMatrix(_ split: LeaveLastOutSplit, itemCount: Int) -> (histories: [[Int32]], matrix: InteractionMatrix) {
        let histories = split.histories(includingValidation: true)
        let matrix = InteractionMatrix(userCount: split.userCount, itemCount: itemCount,
                                       entries: histories.enumerated().flatMap { u, items in items.map { (Int32(u), $0, Float(1)) } })
        return (histories, matrix)
    }

    /// An item-to-item model built on the training histories (training items and the validation
    /// item, weight 1); a user's score for an item sums the similarities from their last `lastN` items.
    static func itemToItem(_ dataset: EvaluationDataset, model: String, interactions: [Interaction], userCount: Int, itemCount: Int,
                           lastN: Int, negatives: Int, sampling: SampledRanking.Sampling, seed: UInt64,
                           build: (InteractionMatrix) -> NeighbourLists) -> BaselineEvaluation {
        let split = LeaveLastOutSplit(interactions, userCount: userCount)
        let (histories, matrix) = trainingMatrix(split, itemCount: itemCount)
        let similarities = build(matrix)
        return evaluate(dataset, model: model, split: split, itemCount: itemCount, interactions: interactions.count,
                        negatives: negatives, sampling: sampling, seed: seed) { users in
            users.flatMap { u in
                ItemCF.scores(history: histories[Int(u)].suffix(lastN).map { ($0, 1) }, similarities: similarities, itemCount: itemCount)
            }
        }
    }

    /// Whether each item is among the 80% least popular by training count (ties by id).
    public static func longTail(_ split: LeaveLastOutSplit, itemCount: Int) -> [Bool] {
        let counts = Popularity(items: split.train.map(\.item), itemCount: itemCount).counts
        var tail = [Bool](repeating: false, count: itemCount)
        for i in (0..<itemCount).sorted(by: { (counts[$0], $0) < (counts[$1], $1) }).prefix(itemCount * 4 / 5) { tail[i] = true }
        return tail
    }

    /// The sampled protocol's candidates per user (the test item, then the negatives; nil for
    /// users without a test item): every model, and the peers' scripts, rank the same lists.
    public static func sampledCandidates(_ split: LeaveLastOutSplit, itemCount: Int, negatives: Int = 100,
                                         sampling: SampledRanking.Sampling = .uniform, seed: UInt64 = 42) -> [[Int32]?] {
        let popularity = Popularity(items: split.train.map(\.item), itemCount: itemCount)
        return SampledRanking.candidates(targets: split.test, interacted: split.allItems(), itemCount: itemCount, negatives: negatives,
                                         sampling: sampling, itemCounts: popularity.counts.map { Int($0) }, seed: seed)
    }

    /// Both protocols for a scorer of users × all items. Test histories include the validation
    /// item, as in SASRec's evaluation; sampled negatives are drawn with training popularity.
    static func evaluate(_ dataset: EvaluationDataset, model: String, split: LeaveLastOutSplit, itemCount: Int, interactions: Int,
                         negatives: Int, sampling: SampledRanking.Sampling, seed: UInt64, scores: ([Int32]) -> [Float]) -> BaselineEvaluation {
        var history = split.trainItems()
        for u in 0..<split.userCount { if let v = split.validation[u] { history[u].insert(v) } }
        let candidates = sampledCandidates(split, itemCount: itemCount, negatives: negatives, sampling: sampling, seed: seed)
        let sampled = SampledRanking.evaluate(candidates, ks: [10]) { user, items in
            let row = scores([user])
            return items.map { row[Int($0)] }
        }
        let (full, tail) = FullRanking.evaluate(targets: split.test, excluded: history, itemCount: itemCount, ks: [10, 50],
                                                segment: longTail(split, itemCount: itemCount), scores: scores)
        return BaselineEvaluation(dataset: dataset.rawValue, model: model, users: split.userCount, items: itemCount,
                                  interactions: interactions, sampling: sampling.rawValue, negatives: negatives,
                                  sampledHR10: sampled.hitRate(at: 10), sampledNDCG10: sampled.ndcg(at: 10),
                                  fullHR10: full.hitRate(at: 10), fullNDCG10: full.ndcg(at: 10), fullRecall50: full.hitRate(at: 50),
                                  tailRecall50: tail.hitRate(at: 50))
    }
}
