/// Row lookups: gathering rows of a table and pooling them into bags.
///
/// When the table is bound to an embedding-table parameter, the backward pass hands the
/// parameter only the touched rows, so training cost follows the batch, not the table size.
extension Graph {
    /// Rows of the matrix `table` at `indices`; the result has shape `indexShape + [width]`.
    public func gather(_ table: Node, indices: [Int32], indexShape: [Int]? = nil) -> Node {
        let v = table.value
        ensure(v.rank == 2, "gather: table shape \(v.shape) is not a matrix")
        let (rows, width) = (v.shape[0], v.shape[1])
        let shape = indexShape ?? [indices.count]
        ensure(Tensor.count(of: shape) == indices.count, "gather: index shape \(shape) does not hold \(indices.count) indices")
        let out = Tensor(shape: shape + [width]) { y, _ in
            v.scalars.withUnsafeBufferPointer { p in
                for (k, index) in indices.enumerated() {
                    let r = Int(index)
                    ensure(r >= 0 && r < rows, "gather: index \(r) out of range for a table of \(rows) rows")
                    (y + k * width).update(from: p.baseAddress! + r * width, count: width)
                }
            }
        }
        return result(out, .gather(table.id, indices), inputs: table.id)
    }

    /// Rows of `table` at `indices` plus rows of `other` at `otherIndices`, in one pass: a
    /// sequence's items with their positions' vectors, without the second lookup and the sum as
    /// tensors of their own.
    public func gather(_ table: Node, indices: [Int32], adding other: Node, at otherIndices: [Int32], indexShape: [Int]? = nil) -> Node {
        let v = table.value, w = other.value
        ensure(v.rank == 2 && w.rank == 2 && v.shape[1] == w.shape[1] && otherIndices.count == indices.count,
               "gather: tables \(v.shape) and \(w.shape) of one width and as many indices for each (\(indices.count), \(otherIndices.count)) expected")
        let (rows, otherRows, width) = (v.shape[0], w.shape[0], v.shape[1])
        let shape = indexShape ?? [indices.count]
        ensure(Tensor.count(of: shape) == indices.count, "gather: index shape \(shape) does not hold \(indices.count) indices")
        let out = Tensor(shape: shape + [width]) { y, _ in
            v.scalars.withUnsafeBufferPointer { p in
                w.scalars.withUnsafeBufferPointer { q in
                    for (k, (index, otherIndex)) in zip(indices, otherIndices).enumerated() {
                        let (r, o) = (Int(index), Int(otherIndex))
                        ensure(r >= 0 && r < rows && o >= 0 && o < otherRows,
                               "gather: index \(r) or \(o) out of range for tables of \(rows) and \(otherRows) rows")
                        let a = p.baseAddress! + r * width, b = q.baseAddress! + o * width, target = y + k * width
                        for j in 0..<width { target[j] = a[j] + b[j] }
                    }
                }
            }
        }
        return result(out, .gatherSum(table.id, indices, other.id, otherIndices), inputs: table.id, other.id)
    }

    func gatherBackward(_ table: Int, _ indices: [Int32], _ g: Tensor) {
        let (rows, width) = (values[table].shape[0], values[table].shape[1])
        let sparse = boundParameter(table).flatMap { $0.isEmbeddingTable ? $0 : nil }
        if let sparse, indices.count < 4 * rows {
            sparse.accumulateRows(indices, g.scalars)
            return
        }
        // A dense table, or a small embedding table read many times (positions): sum the rows
        // here; the embedding table is handed only the rows touched, rather than a gradient row
        // per index to coalesce later.
        var sums = Tensor(zeros: values[table].shape), touched = [Bool](repeating: false, count: rows)
        sums.scalars.withUnsafeMutableBufferPointer { ps in
            g.scalars.withUnsafeBufferPointer { pg in
                for (k, index) in indices.enumerated() {
                    touched[Int(index)] = true
                    Kernels.addScaled(pg.baseAddress! + k * width, scale: 1, into: ps.baseAddress! + Int(index) * width, count: width)
                }
            }
        }
        guard let sparse else {
            accumulate(table, sums)
            return
        }
        let rowsTouched = (0..<rows).filter { touched[$0] }
        sparse.accumulateRows(rowsTouched.map { Int32($0) }, rowsTouched.flatMap { sums.scalars[$0 * width..<($0 + 1) * width] })
    }

    public enum BagPooling: String, Sendable, Codable {
        case sum, mean

        /// The factor each of `length` pooled rows is scaled by (an empty bag's is 1).
        func scale(forLength length: Int) -> Float {
            self == .mean && length > 0 ? 1 / Float(length) : 1
        }
    }

    /// Pools bag b of `ids[offsets[b]..<offsets[b+1]]` (rows of `table`, `width` wide) into
    /// `output + b · rowStride`, overwriting it; an empty bag pools to zeros. Ids are checked.
    static func poolBags(table: UnsafeBufferPointer<Float>, width: Int, ids: [Int32], offsets: [Int32], pooling: BagPooling,
                         into output: UnsafeMutablePointer<Float>, rowStride: Int) {
        let rows = table.count / max(width, 1)
        let bags = offsets.count - 1
        Compute.parallel(bags, minimumChunk: Compute.minimumRows(columns: width * max(1, ids.count / max(1, bags)))) { _, range in
            for b in range {
                let start = Int(offsets[b]), end = Int(offsets[b + 1])
                let y = output + b * rowStride
                y.update(repeating: 0, count: width)
                let scale = pooling.scale(forLength: end - start)
                for k in start..<end {
                    let r = Int(ids[k])
                    ensure(r >= 0 && r < rows, "embeddingBag: id \(r) out of range for a table of \(rows) rows")
                    Kernels.addScaled(table.baseAddress! + r * width, scale: scale, into: y, count: width)
                }
            }
        }
    }

    /// Pools variable-length lists of rows: bag b holds `ids[offsets[b]..<offsets[b+1]]`
    /// (`offsets` has one more entry than there are bags). An empty bag pools to zeros.
    public func embeddingBag(_ table: Node, ids: [Int32], offsets: [Int32], pooling: BagPooling) -> Node {
        let v = table.value
        ensure(v.rank == 2, "embeddingBag: table shape \(v.shape) is not a matrix")
        ensure(offsets.first == 0 && offsets.last == Int32(ids.count) && zip(offsets, offsets.dropFirst()).allSatisfy { $0 <= $1 },
                     "embeddingBag: offsets must rise from 0 to the id count \(ids.count)")
        let bags = offsets.count - 1
        let out = Tensor(shape: [bags, v.shape[1]]) { y, _ in
            v.scalars.withUnsafeBufferPointer { p in
                Graph.poolBags(table: p, width: v.shape[1], ids: ids, offsets: offsets, pooling: pooling, into: y, rowStride: v.shape[1])
            }
        }
        return result(out, .embeddingBag(table.id, ids, offsets, pooling), inputs: table.id)
    }

    func embeddingBagBackward(_ table: Int, _ ids: [Int32], _ offsets: [Int32], _ pooling: BagPooling, _ g: Tensor) {
        let width = values[table].shape[1]
        let bags = offsets.count - 1
        let rowGrads = [Float](unsafeUninitializedCapacity: ids.count * width) { out, filled in
            g.scalars.withUnsafeBufferPointer { pg in
                Compute.parallel(bags, minimumChunk: Compute.minimumRows(columns: width * max(1, ids.count / max(1, bags)))) { _, range in
                    for b in range {
                        let start = Int(offsets[b]), end = Int(offsets[b + 1])
                        let scale = pooling.scale(forLength: end - start)
                        for k in start..<end {
                            Kernels.scale(pg.baseAddress! + b * width, by: scale, into: out.baseAddress! + k * width, count: width)
                        }
                    }
                }
            }
            filled = ids.count * width
        }
        if let p = boundParameter(table), p.isEmbeddingTable {
            p.accumulateRows(ids, rowGrads)
            return
        }
        let v = values[table]
        var gt = Tensor(zeros: v.shape)
        gt.scalars.withUnsafeMutableBufferPointer { pt in
            for (k, id) in ids.enumerated() {
                for j in 0..<width { pt[Int(id) * width + j] += rowGrads[k * width + j] }
            }
        }
        accumulate(table, gt)
    }
}
