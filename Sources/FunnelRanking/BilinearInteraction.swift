import FunnelTensor

/// FiBiNET's bilinear interaction: for fields i < j, (v_i · W) ⊙ v_j, a vector per pair, where
/// W is one `k × k` matrix shared by every pair (`.fieldAll`), one per left field i
/// (`.fieldEach`), or one per pair (`.fieldInteraction`).
public struct BilinearInteraction: Module {
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        case fieldAll = "field-all", fieldEach = "field-each", fieldInteraction = "field-interaction"
    }

    public let kind: Kind
    public let fields: Int
    /// `[k, matrices·k]`, column block m holding matrix m: 1, `fields` or `fields·(fields−1)/2`
    /// matrices by `kind`. Side by side, the matrices that one field's vector meets form one
    /// contiguous block, so each field takes one product.
    public let weights: Parameter

    public init(kind: Kind = .fieldInteraction, fields: Int, dimension k: Int, generator: inout SeededGenerator) {
        self.kind = kind
        self.fields = fields
        let count = switch kind {
        case .fieldAll: 1
        case .fieldEach: fields
        case .fieldInteraction: fields * (fields - 1) / 2
        }
        let limit = 1 / Float(k).squareRoot()
        weights = Parameter(.randomUniform(shape: [k, count * k], in: -limit...limit, generator: &generator))
    }

    public var pairCount: Int { fields * (fields - 1) / 2 }

    /// The matrix that pair `pair` = (i, j) uses.
    func matrix(pair: Int, left i: Int) -> Int {
        switch kind {
        case .fieldAll: 0
        case .fieldEach: i
        case .fieldInteraction: pair
        }
    }

    /// `embeddings` `[batch, fields, k]` to `[batch, pairs, k]`, pairs (0,1), (0,2), …, (1,2), ….
    public func callAsFunction(_ embeddings: Node) -> Node {
        let graph = embeddings.graph
        let (batch, k) = (embeddings.shape[0], embeddings.shape[2])
        let w = graph.parameter(weights)
        let field = { (i: Int, count: Int) in embeddings.slice(axis: 1, start: i, length: count).reshaped([batch, count * k]) }
        switch kind {
        case .fieldAll:
            let projected = graph.matmul(embeddings.reshaped([batch * fields, k]), w)
            return graph.pairwiseProducts(projected.reshaped([batch, fields, k]), embeddings)
        case .fieldEach:
            let projected = (0..<fields).map { graph.matmul(field($0, 1), w.slice(axis: 1, start: $0 * k, length: k)) }
            return graph.pairwiseProducts(graph.concat(projected, axis: 1).reshaped([batch, fields, k]), embeddings)
        case .fieldInteraction:
            // Field i meets the matrices of its pairs (i, i+1), …, (i, fields−1), which sit side
            // by side: one product gives all of its pairs' left vectors.
            var projected: [Node] = [], right: [Node] = [], pair = 0
            for i in 0..<(fields - 1) {
                let count = fields - 1 - i
                projected.append(graph.matmul(field(i, 1), w.slice(axis: 1, start: pair * k, length: count * k)))
                right.append(field(i + 1, count))
                pair += count
            }
            return (graph.concat(projected, axis: 1) * graph.concat(right, axis: 1)).reshaped([batch, pairCount, k])
        }
    }

    /// The same without a graph: row r of `embeddings` holds its `fields` vectors side by side;
    /// row r of the result its pairs' vectors, in the graph's order.
    public func forward(_ embeddings: Matrix, in workspace: Workspace) -> Matrix {
        let k = embeddings.columns / fields, stride = weights.shape[1]
        let out = workspace.matrix(rows: embeddings.rows, columns: pairCount * k)
        let projected = workspace.matrix(rows: 1, columns: k)
        weights.value.scalars.withUnsafeBufferPointer { w in
            for r in 0..<embeddings.rows {
                let v = embeddings.base + r * embeddings.columns
                var p = 0
                for i in 0..<fields {
                    for j in (i + 1)..<fields {
                        // (v_i W)_d = Σ_c v_i[c] W[c, d]
                        let block = w.baseAddress! + matrix(pair: p, left: i) * k
                        projected.base.update(repeating: 0, count: k)
                        for c in 0..<k {
                            let x = v[i * k + c], row = block + c * stride
                            for d in 0..<k { projected.base[d] += x * row[d] }
                        }
                        let y = out.base + r * out.columns + p * k
                        for d in 0..<k { y[d] = projected.base[d] * v[j * k + d] }
                        p += 1
                    }
                }
            }
        }
        return out
    }

    public func visitParameters(_ visit: (String, Parameter) -> Void) {
        visit("weights", weights)
    }
}
