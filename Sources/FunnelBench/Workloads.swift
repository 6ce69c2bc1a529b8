import Foundation
import FunnelData
import FunnelRanking
import FunnelRetrieval
import FunnelTensor

/// The measured workloads, shared by `funnel bench` and the benchmark package so both time
/// exactly the same code. Each mirrors a workload of `Benchmarks/peers/pytorch_models.py`.
public enum Workloads {
    /// One DCN-v2 training step (forward, backward, Adam) per call on Frappe-shaped batches.
    public final class DCNv2Training {
        public let batchSize: Int
        let model: DCNv2
        let data: FieldDataset
        var optimizer = Adam(learningRate: 1e-3)
        var order: [Int]
        var cursor = 0
        var generator = SeededGenerator(seed: 2021)

        public init(data: FieldDataset, batchSize: Int = 4096) {
            self.data = data
            self.batchSize = batchSize
            // The PyTorch peer's model: default DCN-v2 without the embedding penalty.
            var configuration = DCNv2.Configuration(fieldCount: data.fieldCount, vocabularySize: data.vocabularySize)
            configuration.embeddingL2 = 0
            model = DCNv2(configuration)
            order = Array(0..<data.count).shuffled(using: &generator)
        }

        public func step() {
            if cursor + batchSize > order.count { cursor = 0 }
            let rows = order[cursor..<(cursor + batchSize)]
            cursor += batchSize
            let graph = Graph(mode: .training, seed: generator.next())
            let loss = graph.binaryCrossEntropy(logits: model.logits(ids: data.ids(of: rows), batch: rows.count, in: graph),
                                                labels: data.labels(of: rows))
            graph.backward(loss)
            optimizer.step(model.trainableParameters)
        }

        /// Scores `count` candidates in inference mode, as a ranker does per request.
        public func score(candidates count: Int, precision: Precision = .float32) -> [Float] {
            CTRTraining.predict(model, ids: data.ids(of: 0..<count), batch: count, precision: precision)
        }
    }

    /// The matrix products of one DCN-v2 training step alone, on the same BLAS with the same
    /// shapes: each linear layer's forward product and, backward, its input and weight
    /// gradients. Its throughput is the ceiling a step that did nothing but matrix work would
    /// reach, so training throughput over it is the share of the step spent in products.
    public final class MatmulLimit {
        public let batchSize: Int
        /// (m, n, k, transpose A, transpose B) of each product.
        public let products: [(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool)]
        let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>

        /// The products of a model's linear layers (`[input, output]` weights) on a batch, for
        /// training or, with `forwardOnly`, for scoring.
        public init(layers: [(input: Int, output: Int)], batchSize: Int, forwardOnly: Bool = false) {
            self.batchSize = batchSize
            products = layers.flatMap { layer in [
                (batchSize, layer.output, layer.input, false, false),   // Y = X W
                (batchSize, layer.input, layer.output, false, true),    // dX = dY Wᵀ
                (layer.input, layer.output, batchSize, true, false),    // dW = Xᵀ dY
            ].prefix(forwardOnly ? 1 : 3) }
            let size = products.map { max($0.m * $0.k, $0.k * $0.n, $0.m * $0.n) }.max() ?? 1
            var generator = SeededGenerator(seed: 3)
            (a, b, c) = (.allocate(capacity: size), .allocate(capacity: size), .allocate(capacity: size))
            for p in [a, b] { for i in 0..<size { p[i] = Float(generator.nextNormal()) } }
        }

        /// The products of the DCN-v2 that `DCNv2Training` trains on Frappe-shaped data.
        public convenience init(dcnV2 data: FieldDataset, batchSize: Int = 4096, forwardOnly: Bool = false) {
            let model = DCNv2(.init(fieldCount: data.fieldCount, vocabularySize: data.vocabularySize))
            let linears = model.cross.layers + model.deep.layers + [model.head]
            self.init(layers: linears.map { ($0.inputSize, $0.outputSize) }, batchSize: batchSize, forwardOnly: forwardOnly)
        }

        deinit { for p in [a, b, c] { p.deallocate() } }

        public func step() {
            for p in products {
                BLAS.gemm(transposeA: p.transposeA, transposeB: p.transposeB, m: p.m, n: p.n, k: p.k, a: a, b: b, c: c)
            }
        }
    }

    /// One two-tower training step (in-batch softmax with logQ correction) per call.
    public final class TwoTowerTraining {
        public let batchSize: Int
        let model: TwoTower
        let users: FeatureTable, items: FeatureTable
        let pairs: [(user: Int32, item: Int32)]
        let logQ: [Float]
        var optimizer = Adam(learningRate: 1e-3)
        var order: [Int]
        var cursor = 0

        public init(movieLens: MovieLens100K, batchSize: Int = 1024) {
            self.batchSize = batchSize
            users = movieLens.userFeatures()
            items = movieLens.itemFeatures()
            pairs = movieLens.ratings.map { ($0.user, $0.item) }
            var counts = [Int](repeating: 0, count: items.count)
            for p in pairs { counts[Int(p.item)] += 1 }
            logQ = counts.map { Float(Foundation.log(Double(max($0, 1)) / Double(movieLens.ratings.count))) }
            model = TwoTower(.init(user: .init(features: users), item: .init(features: items)))
            var generator = SeededGenerator(seed: 2021)
            order = Array(0..<pairs.count).shuffled(using: &generator)
        }

        public func step() {
            if cursor + batchSize > order.count { cursor = 0 }
            let rows = order[cursor..<(cursor + batchSize)]
            cursor += batchSize
            let graph = Graph(mode: .training)
            let batchItems = rows.map { pairs[$0].item }
            let loss = model.inBatchSoftmaxLoss(users: users.batch(rows.map { pairs[$0].user }), items: items.batch(batchItems),
                                                logQ: batchItems.map { logQ[Int($0)] }, in: graph)
            graph.backward(loss)
            optimizer.step(model.trainableParameters)
        }
    }

    /// One sparse Adam step on a `rows × dimension` embedding table, touching `touched` random rows.
    public final class SparseEmbeddingTraining {
        public let rows: Int, dimension: Int, touched: Int
        let table: Embedding
        var optimizer = Adam(learningRate: 1e-3)
        var generator = SeededGenerator(seed: 7)

        public init(rows: Int, dimension: Int = 32, touched: Int = 4096) {
            self.rows = rows
            self.dimension = dimension
            self.touched = touched
            table = Embedding(rows: rows, dimension: dimension, generator: &generator)
        }

        public func step() {
            let ids = (0..<touched).map { _ in Int32(generator.nextInt(below: rows)) }
            let graph = Graph(mode: .training)
            let loss = table(ids, in: graph).squared().sum()
            graph.backward(loss)
            optimizer.step([table.table])
        }
    }

    /// Synthetic data shaped like Frappe (10 fields over 5,382 ids), for machines without the dataset.
    public static func syntheticFrappe(count: Int = 202_812) -> FieldDataset {
        var g = SeededGenerator(seed: 1)
        var ids: [Int32] = []
        ids.reserveCapacity(count * 10)
        var labels: [Float] = []
        for _ in 0..<count {
            for f in 0..<10 { ids.append(Int32(f * 538 + g.nextInt(below: 538))) }
            labels.append(g.nextUnitFloat() < 0.33 ? 1 : 0)
        }
        return FieldDataset(fieldCount: 10, ids: ids, labels: labels, vocabularySize: 5382)
    }
}
