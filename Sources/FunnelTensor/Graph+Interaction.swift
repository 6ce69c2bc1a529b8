/// Pairwise interactions between field vectors, the building block of FM, FiBiNet's bilinear
/// layer and other crosses.
extension Graph {
    /// For fields i < j, in the order (0,1), (0,2), …, (1,2), …: left_i ⊙ right_j, from `left` and
    /// `right` `[batch, fields, d]` to `[batch, fields·(fields−1)/2, d]`. With left = right = x it
    /// gives FM's pairwise products (summed over d, their inner products); with left = x · W it
    /// gives FiBiNet's bilinear interaction (W shared by all fields).
    public func pairwiseProducts(_ left: Node, _ right: Node) -> Node {
        let l = left.value, r = right.value
        ensure(l.rank == 3 && l.shape == r.shape,
               "pairwiseProducts: left and right must be the same [batch, fields, d], got \(l.shape) and \(r.shape)")
        let (batch, fields, d) = (l.shape[0], l.shape[1], l.shape[2])
        let pairs = fields * (fields - 1) / 2
        let out = Tensor(shape: [batch, pairs, d]) { y, _ in
            l.scalars.withUnsafeBufferPointer { pl in
                r.scalars.withUnsafeBufferPointer { pr in
                    var p = 0
                    for b in 0..<batch {
                        for i in 0..<fields {
                            for j in (i + 1)..<fields {
                                let a = pl.baseAddress! + (b * fields + i) * d, c = pr.baseAddress! + (b * fields + j) * d
                                for k in 0..<d { y[p * d + k] = a[k] * c[k] }
                                p += 1
                            }
                        }
                    }
                }
            }
        }
        return result(out, .pairwiseProducts(left.id, right.id), inputs: left.id, right.id)
    }

    func pairwiseProductsBackward(_ left: Int, _ right: Int, _ g: Tensor) {
        let l = values[left], r = values[right]
        let (batch, fields, d) = (l.shape[0], l.shape[1], l.shape[2])
        var dl = Tensor(zeros: l.shape), dr = Tensor(zeros: r.shape)
        g.scalars.withUnsafeBufferPointer { pg in
            l.scalars.withUnsafeBufferPointer { pl in
                r.scalars.withUnsafeBufferPointer { pr in
                    dl.scalars.withUnsafeMutableBufferPointer { ol in
                        dr.scalars.withUnsafeMutableBufferPointer { or in
                            var p = 0
                            for b in 0..<batch {
                                for i in 0..<fields {
                                    for j in (i + 1)..<fields {
                                        let a = (b * fields + i) * d, c = (b * fields + j) * d
                                        for k in 0..<d {
                                            ol[a + k] += pg[p * d + k] * pr[c + k]
                                            or[c + k] += pg[p * d + k] * pl[a + k]
                                        }
                                        p += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // The same node on both sides (FM) gets both contributions.
        accumulate(left, dl)
        accumulate(right, dr)
    }
}
