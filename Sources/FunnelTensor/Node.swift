/// A value in a `Graph`: the result of an op, a constant or a parameter.
///
/// Ops on nodes append to the graph that made them; a node is valid as long as its graph.
public struct Node {
    public let id: Int
    public let graph: Graph

    @inlinable public var value: Tensor { graph.values[id] }
    @inlinable public var shape: [Int] { graph.values[id].shape }
}
