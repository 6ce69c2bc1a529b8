import FunnelTensor

/// How a two-tower model is trained: the loss on each user's row of cosine logits, where its
/// negatives come from, and an optional self-supervised loss on the item tower.
///
/// Every loss reads one matrix of logits per batch, `[users, keys]`: the keys are the batch's
/// positive items (each user's target is its own), then any sampled or hard negatives. A key
/// that is the user's own positive item, seen again (the item twice in a batch, or drawn as a
/// negative), is masked out of that user's row: an accidental hit is not a negative.
public struct TwoTowerObjective: Codable, Hashable, Sendable {
    public enum Loss: String, Codable, CaseIterable, Sendable {
        /// Softmax over the positive and the negatives (cross-entropy), logQ-corrected when the
        /// model's configuration asks for it.
        case listwise
        /// Binary cross-entropy on cos / temperature: the positive labelled 1, the negatives 0.
        case pointwise
        /// The cosine embedding loss: the positive's cosine pulled to 1, each negative's pushed
        /// under `margin`.
        case cosine
        /// Pairwise logistic on the cosine margins (BPR on cos / temperature).
        case pairwiseLogistic = "pairwise-logistic"
        /// Triplet hinge: max(0, margin + cos(negative) − cos(positive)).
        case pairwiseHinge = "pairwise-hinge"
    }

    public enum Negatives: String, Codable, CaseIterable, Sendable {
        /// The other positives of the batch (drawn as often as they are taken).
        case inBatch = "in-batch"
        /// `sampled` items drawn from the whole catalogue with probability ∝ count^0.75,
        /// shared by the batch; the batch's other positives are not negatives.
        case popularity
        /// The batch's other positives and `sampled` items drawn uniformly from the catalogue
        /// (mixed negative sampling), so that items never taken are negatives too.
        case mixed
        /// The batch's other positives and, per user, one hard negative: an item the current
        /// model ranks at a random place in `hardRanks` among those the user has not taken
        /// (item vectors refreshed each epoch).
        case hard
    }

    /// A contrastive loss on the item tower (Yao et al., "Self-supervised Learning for
    /// Large-scale Item Recommendations", CIKM 2021): two augmented views of `batchSize` items
    /// drawn uniformly from the catalogue (so long-tail items get as much of it as popular
    /// ones) must find each other among the views of the batch, by softmax on cos / temperature.
    public struct SelfSupervision: Codable, Hashable, Sendable {
        public enum Augmentation: String, Codable, CaseIterable, Sendable {
            /// A random half of each item's features (fields and bag) masked in one view, the
            /// other half in the other.
            case complementary
            /// Each feature masked independently at `rate` in each view.
            case mask
            /// Each bag value dropped at `rate`, and inverted dropout at `rate` on the input.
            case dropout
        }

        public var augmentation: Augmentation = .complementary
        public var rate: Float = 0.5
        public var weight: Float = 0.3
        public var temperature: Float = 0.1
        public var batchSize = 512

        public init(augmentation: Augmentation = .complementary, weight: Float = 0.3) {
            self.augmentation = augmentation
            self.weight = weight
        }
    }

    public var loss: Loss = .listwise
    public var negatives: Negatives = .inBatch
    /// Items drawn per batch for `.popularity` and `.mixed`.
    public var sampled = 1024
    /// Ranks (from 0) where `.hard` takes its negatives.
    public var hardRanks = 100..<300
    /// The margin of `.cosine` and `.pairwiseHinge`, in cosine.
    public var margin: Float = 0.1
    public var selfSupervision: SelfSupervision?

    public init(loss: Loss = .listwise, negatives: Negatives = .inBatch, selfSupervision: SelfSupervision? = nil) {
        self.loss = loss
        self.negatives = negatives
        self.selfSupervision = selfSupervision
    }

    /// The loss on the batch's logits.
    var productLoss: ProductLoss {
        switch loss {
        case .listwise: .softmax
        case .pointwise: .binary
        case .cosine: .cosine(margin: margin)
        case .pairwiseLogistic: .pairwiseLogistic
        case .pairwiseHinge: .pairwiseHinge(margin: margin)
        }
    }

    /// A description such as "listwise, in-batch" or "pairwise-hinge, hard, self-supervised (complementary)".
    public var name: String {
        [loss.rawValue, negatives.rawValue, selfSupervision.map { "self-supervised (\($0.augmentation.rawValue))" }]
            .compactMap { $0 }.joined(separator: ", ")
    }
}
