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

        /// Every key may be left out.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = SelfSupervision()
            augmentation = try c.decodeIfPresent(Augmentation.self, forKey: .augmentation) ?? d.augmentation
            rate = try c.decodeIfPresent(Float.self, forKey: .rate) ?? d.rate
            weight = try c.decodeIfPresent(Float.self, forKey: .weight) ?? d.weight
            temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? d.temperature
            batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
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

    /// Every key may be left out; `hardRanks` reads as `[from, to]`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TwoTowerObjective()
        loss = try c.decodeIfPresent(Loss.self, forKey: .loss) ?? d.loss
        negatives = try c.decodeIfPresent(Negatives.self, forKey: .negatives) ?? d.negatives
        sampled = try c.decodeIfPresent(Int.self, forKey: .sampled) ?? d.sampled
        if let ranks = try c.decodeIfPresent([Int].self, forKey: .hardRanks) {
            guard ranks.count == 2, ranks[0] >= 0, ranks[0] < ranks[1] else {
                throw DecodingError.dataCorruptedError(forKey: .hardRanks, in: c, debugDescription: "hardRanks must be [from, to] with 0 ≤ from < to, got \(ranks)")
            }
            hardRanks = ranks[0]..<ranks[1]
        }
        margin = try c.decodeIfPresent(Float.self, forKey: .margin) ?? d.margin
        selfSupervision = try c.decodeIfPresent(SelfSupervision.self, forKey: .selfSupervision)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(loss, forKey: .loss)
        try c.encode(negatives, forKey: .negatives)
        try c.encode(sampled, forKey: .sampled)
        try c.encode([hardRanks.lowerBound, hardRanks.upperBound], forKey: .hardRanks)
        try c.encode(margin, forKey: .margin)
        try c.encodeIfPresent(selfSupervision, forKey: .selfSupervision)
    }

    private enum CodingKeys: String, CodingKey { case loss, negatives, sampled, hardRanks, margin, selfSupervision }

    /// The first setting out of its range, named, or nil.
    public var problem: String? {
        if sampled < 1 { return "sampled must be at least 1, got \(sampled)" }
        if !(margin.isFinite && margin > -1 && margin < 2) { return "margin must be a cosine margin in (−1, 2), got \(margin)" }
        guard let s = selfSupervision else { return nil }
        if !(s.weight.isFinite && s.weight >= 0) { return "selfSupervision.weight must be a finite number ≥ 0, got \(s.weight)" }
        if !(s.rate >= 0 && s.rate < 1) { return "selfSupervision.rate must be in [0, 1), got \(s.rate)" }
        if !(s.temperature.isFinite && s.temperature > 0) { return "selfSupervision.temperature must be positive, got \(s.temperature)" }
        if s.batchSize < 2 { return "selfSupervision.batchSize must be at least 2, got \(s.batchSize)" }
        return nil
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
