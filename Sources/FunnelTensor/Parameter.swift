import Synchronization

/// A trainable tensor with its gradient and optimizer state.
///
/// Layers hold parameters by reference so a graph can add gradients into them during the
/// backward pass; layers themselves stay value types with an explicit parameter walk.
/// A parameter belongs to one training loop at a time.
public final class Parameter: @unchecked Sendable {
    public var value: Tensor {
        didSet { bfloat16.withLock { $0 = nil } }
    }
    /// The value packed for bfloat16 products, made on first use and dropped when the value changes.
    private let bfloat16 = Mutex<BFloat16Weights?>(nil)
    /// Dense gradient, summed over the graph's uses.
    public var gradient: Tensor?
    /// Row gradient of an embedding table: only the rows a batch touched.
    public var rowGradient: RowGradient?
    /// Embedding tables: their lookups produce row gradients instead of dense ones.
    public let isEmbeddingTable: Bool
    /// False for state that is saved with a model but not trained (e.g. batch-norm statistics).
    public let isTrainable: Bool
    /// L2 penalty coefficient λ: optimizers add λ·value to this parameter's gradient (for
    /// embedding tables, on the touched rows only).
    public var l2Penalty: Float = 0
    /// Optimizer state, one tensor per slot (e.g. Adam's two moments), shaped like `value`.
    public var slots: [Tensor] = []
    /// Per-row step counts for lazily updated tables.
    var rowSteps: [Int32] = []
    /// Scratch used to merge duplicate rows; all -1 between uses.
    var rowScratch: [Int32] = []

    public init(_ value: Tensor, isEmbeddingTable: Bool = false, isTrainable: Bool = true) {
        self.value = value
        self.isEmbeddingTable = isEmbeddingTable
        self.isTrainable = isTrainable
    }

    public var shape: [Int] { value.shape }

    /// The value (a matrix) rounded to bfloat16 and packed for the tile kernel, once per value.
    var bfloat16Weights: BFloat16Weights {
        bfloat16.withLock { packed in
            if let packed { return packed }
            let made = BFloat16Weights(value)
            packed = made
            return made
        }
    }

    public func zeroGradient() {
        gradient = nil
        rowGradient = nil
    }

    /// Adds a dense gradient.
    public func accumulate(_ g: Tensor) {
        ensure(g.shape == value.shape, "gradient shape \(g.shape) does not match parameter shape \(value.shape)")
        if gradient == nil {
            gradient = g
        } else {
            gradient!.scalars.withUnsafeMutableBufferPointer { dst in
                g.scalars.withUnsafeBufferPointer { src in
                    for i in 0..<dst.count { dst[i] += src[i] }
                }
            }
        }
    }

    /// Adds gradient rows for the given table rows (duplicates allowed).
    public func accumulateRows(_ rows: [Int32], _ values: [Float]) {
        let width = value.matrixShape.columns
        ensure(values.count == rows.count * width, "row gradient of \(values.count) values for \(rows.count) rows of width \(width)")
        if rowGradient == nil {
            rowGradient = RowGradient(width: width, rows: rows, values: values)
        } else {
            rowGradient!.rows.append(contentsOf: rows)
            rowGradient!.values.append(contentsOf: values)
        }
    }

    /// Sums duplicate rows of the row gradient in place (rows in first-seen order) and returns it.
    /// - Complexity: O(touched rows × width); no work proportional to the table size after the first call.
    @discardableResult
    public func coalesceRowGradient() -> RowGradient? {
        guard let g = rowGradient, !g.isCoalesced else { return rowGradient }
        let tableRows = value.matrixShape.rows
        if rowScratch.count != tableRows { rowScratch = [Int32](repeating: -1, count: tableRows) }
        var rows: [Int32] = []
        rows.reserveCapacity(g.rows.count)
        // Each gradient row's place among the distinct rows, then the sums in one pass.
        var place = [Int32](repeating: 0, count: g.rows.count)
        rowScratch.withUnsafeMutableBufferPointer { slot in
            for (k, row) in g.rows.enumerated() {
                let r = Int(row)
                if slot[r] < 0 {
                    slot[r] = Int32(rows.count)
                    rows.append(row)
                }
                place[k] = slot[r]
            }
            for row in rows { slot[Int(row)] = -1 }
        }
        let width = g.width
        let values = [Float](unsafeUninitializedCapacity: rows.count * width) { sums, filled in
            sums.initialize(repeating: 0)
            g.values.withUnsafeBufferPointer { src in
                for (k, p) in place.enumerated() {
                    Kernels.addScaled(src.baseAddress! + k * width, scale: 1, into: sums.baseAddress! + Int(p) * width, count: width)
                }
            }
            filled = rows.count * width
        }
        rowGradient = RowGradient(width: width, rows: rows, values: values, isCoalesced: true)
        return rowGradient
    }
}

/// Gradient rows of a table: `values` holds `rows.count × width` floats.
public struct RowGradient: Sendable {
    public var width: Int
    public var rows: [Int32]
    public var values: [Float]
    /// Whether every row appears once.
    public var isCoalesced = false
}
