/// The ranking stage: predictions for every candidate of a request, per objective.
///
/// A ranker declares the feature columns it reads; the pipeline fills them in that order and
/// refuses to serve a ranker whose columns it cannot provide. Predictions must depend on each
/// row alone (a candidate scores the same in any batch) and be finite and in range
/// (`Predictions.isValid`); the contract suite in `FunnelTesting` checks both.
public protocol Ranker: Sendable {
    /// The name the registry and the `[pipeline] ranker` setting know it by.
    var name: String { get }
    var objectives: [Objective] { get }
    var featureNames: [String] { get }
    func predict(_ batch: RankingBatch) -> Predictions
}

/// The pre-ranking stage: a cheap score that cuts the merged candidates to the few the ranker
/// scores. The same rules as `Ranker` hold for its features and scores.
public protocol PreRanker: Sendable {
    var name: String { get }
    var featureNames: [String] { get }
    /// The indices of the best `keep` candidates of `batch`, best first.
    func select(_ batch: RankingBatch, keep: Int) -> [Int]
}
