extension ImplicitALS {
    /// Implicit ALS with what its fold-in needs: the least-squares solve that the fit makes for
    /// a user, by conjugate gradient against the fixed item vectors.
    public struct FoldIn: FoldInFactorization {
        public static let channelName = "als"
        /// Conjugate-gradient steps from zero.
        public static let defaultFoldInSteps = 10
        public let model: ImplicitALS
        /// YᵀY + λI over every item vector, the solve's fixed part.
        let gram: [Float]

        public init(_ model: ImplicitALS) {
            self.model = model
            gram = ImplicitALS.gram(model.itemFactors, rows: model.itemCount, factors: model.factors, regularization: model.parameters.regularization)
        }

        public var itemCount: Int { model.itemCount }
        public var indexedDimension: Int { model.factors }

        public func indexedVector(ofItem row: Int) -> [Float] {
            Array(model.itemFactors[(row * model.factors)..<((row + 1) * model.factors)])
        }

        public func foldIn(_ items: [(row: Int32, weight: Float)], steps: Int) -> [Float]? {
            let (indices, values) = Self.summedWeights(items, itemCount: model.itemCount)
            guard !indices.isEmpty else { return nil }
            let f = model.factors
            var x = [Float](repeating: 0, count: f), scratch = [Float](repeating: 0, count: 3 * f)
            x.withUnsafeMutableBufferPointer { x in
                scratch.withUnsafeMutableBufferPointer { s in
                    model.itemFactors.withUnsafeBufferPointer { y in
                        gram.withUnsafeBufferPointer { g in
                            ImplicitALS.conjugateGradient(x.baseAddress!, pairs: 0..<indices.count, indices: indices, weights: values,
                                                          y: y.baseAddress!, gram: g.baseAddress!, f: f, alpha: model.parameters.alpha,
                                                          steps: steps, r: s.baseAddress!, direction: s.baseAddress! + f,
                                                          product: s.baseAddress! + 2 * f)
                        }
                    }
                }
            }
            return x
        }
    }
}
