import Foundation

/// A dense Float32 tensor: a shape and contiguous row-major storage.
///
/// `Tensor` is a value type with copy-on-write storage (a Swift array), so passing it around
/// or reshaping it never copies the elements.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var scalars: [Float]

    /// A tensor over `scalars`, which must hold exactly `shape.product` elements.
    public init(shape: [Int], scalars: [Float]) {
        ensure(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        ensure(scalars.count == Tensor.count(of: shape),
                     "\(scalars.count) scalars cannot fill shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    public init(zeros shape: [Int]) {
        self.init(repeating: 0, shape: shape)
    }

    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: Tensor.count(of: shape)))
    }

    /// A scalar (rank-0) tensor.
    public init(_ value: Float) {
        self.init(shape: [], scalars: [value])
    }

    /// A tensor whose elements are written by `initializer`, which must write every element.
    @inlinable
    public init(shape: [Int], unsafeUninitialized initializer: (UnsafeMutablePointer<Float>, Int) -> Void) {
        let n = Tensor.count(of: shape)
        let scalars = [Float](unsafeUninitializedCapacity: n) { buffer, count in
            if n > 0 { initializer(buffer.baseAddress!, n) }
            count = n
        }
        self.init(shape: shape, scalars: scalars)
    }

    @inlinable public var count: Int { scalars.count }
    @inlinable public var rank: Int { shape.count }

    /// The single value of a tensor with one element.
    public var scalar: Float {
        ensure(count == 1, "tensor of shape \(shape) is not a scalar")
        return scalars[0]
    }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        ensure(Tensor.count(of: newShape) == count,
                     "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        var copy = self
        copy.shape = newShape
        return copy
    }

    /// Element at a multi-dimensional index.
    public subscript(index: Int...) -> Float {
        get { scalars[offset(of: index)] }
        set { scalars[offset(of: index)] = newValue }
    }

    func offset(of index: [Int]) -> Int {
        ensure(index.count == rank, "index \(index) does not fit shape \(shape)")
        var offset = 0
        for (i, dim) in Swift.zip(index, shape) {
            ensure(i >= 0 && i < dim, "index \(index) out of range for shape \(shape)")
            offset = offset * dim + i
        }
        return offset
    }

    @inlinable
    public static func count(of shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// Rows and columns of a tensor viewed as a matrix over its last axis.
    public var matrixShape: (rows: Int, columns: Int) {
        let columns = shape.last ?? 1
        return (columns == 0 ? 0 : count / columns, columns)
    }
}

extension Tensor {
    /// Elements drawn from a normal distribution.
    public static func randomNormal(shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                                    generator: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape) { p, n in
            for i in 0..<n { p[i] = mean + standardDeviation * generator.nextNormal() }
        }
    }

    /// Elements drawn uniformly from `range`.
    public static func randomUniform(shape: [Int], in range: ClosedRange<Float>,
                                     generator: inout SeededGenerator) -> Tensor {
        let width = range.upperBound - range.lowerBound
        return Tensor(shape: shape) { p, n in
            for i in 0..<n { p[i] = range.lowerBound + width * generator.nextUnitFloat() }
        }
    }

    /// Glorot (Xavier) uniform initialisation for a `[fanIn, fanOut]` weight.
    public static func glorotUniform(fanIn: Int, fanOut: Int, generator: inout SeededGenerator) -> Tensor {
        let limit = (6 / Float(fanIn + fanOut)).squareRoot()
        return randomUniform(shape: [fanIn, fanOut], in: -limit...limit, generator: &generator)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}
