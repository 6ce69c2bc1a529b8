import Foundation
import FunnelData
import FunnelRanking
import FunnelRetrieval
import FunnelTensor

/// The measured workloads, shared by `funnel bench` and the benchmark package so both time
/// exactly the same code. Each mirrors a workload of `Benchmarks/peers/pytorch_models.py`.
public enum Workloads {
    /// One training step (forward, backward, Adam) of a CTR model per call on Frappe-shaped
    /// batches; the models as the PyTorch peer builds them, without the embedding penalty.
    public final class CTRModelTraining<Model: CTRModel> {
        public let batchSize: Int
        let model: Model
        let data: FieldDataset
        var optimizer = Adam(learningRate: 1e-3)
        var order: [Int]
        var cursor = 0
        var generator = SeededGenerator(seed: 2021)

        public init(_ model: Model, data: FieldDataset, batchSize: Int = 4096) {
            (self.model, self.data, self.batchSize) = (model, data, batchSize)
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

    /// DCN-v2 at its defaults (4 cross layers, DNN [400, 400, 400], batch norm, dropout 0.4).
    public static func dcnV2Training(data: FieldDataset) -> CTRModelTraining<DCNv2> {
        var configuration = DCNv2.Configuration(fieldCount: data.fieldCount, vocabularySize: data.vocabularySize)
        configuration.embeddingL2 = 0
        return CTRModelTraining(DCNv2(configuration), data: data)
    }

    /// DeepFM at its defaults (embedding 10, DNN [400, 400, 400], batch norm, dropout 0.2).
    public static func deepFMTraining(data: FieldDataset) -> CTRModelTraining<DeepFM> {
        var configuration = DeepFM.Configuration(fieldCount: data.fieldCount, vocabularySize: data.vocabularySize)
        configuration.embeddingL2 = 0
        return CTRModelTraining(DeepFM(configuration), data: data)
    }

    /// One DIN training step per call at its defaults, shaped like Amazon Games (23,715 items,
    /// vectors of 64): 512 positions, each with one sampled negative, every history 50 items long
    /// (random ids: the step's cost does not depend on them).
    public final class DINTraining {
        public let batchSize = 1024
        let model: DIN
        var optimizer = Adam(learningRate: 1e-3)
        var generator = SeededGenerator(seed: 2021)

        public init() {
            var configuration = DIN.Configuration(itemCount: 23_715, userCount: 31_013)
            configuration.embeddingL2 = 0
            model = DIN(configuration)
        }

        public func step() {
            let c = model.configuration
            var users: [Int32] = [], targets: [Int32] = [], histories: [ArraySlice<Int32>] = []
            for _ in 0..<(batchSize / 2) {
                let user = Int32(generator.nextInt(below: c.userCount))
                let history = (0..<c.maxLength).map { _ in Int32(generator.nextInt(below: c.itemCount)) }[...]
                for _ in 0..<2 {
                    users.append(user)
                    targets.append(Int32(generator.nextInt(below: c.itemCount)))
                    histories.append(history)
                }
            }
            let batch = SequenceBatch(users: users, targets: targets, histories: histories, maxLength: c.maxLength, padding: model.padding)
            let graph = Graph(mode: .training, seed: generator.next())
            let labels = (0..<batchSize).map { Float(1 - $0 % 2) }
            graph.backward(graph.binaryCrossEntropy(logits: model.logits(batch, in: graph), labels: labels))
            optimizer.step(model.trainableParameters)
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
