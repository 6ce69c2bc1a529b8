import Synchronization

/// Scratch memory for forward-only inference: layers take their outputs from it instead of
/// allocating, and nothing is recorded for a backward pass.
///
/// A workspace hands out matrices from blocks it keeps; `reset` makes the memory reusable.
/// After the first call of a given size it allocates nothing. `Workspace.borrow` lends one
/// from a shared pool, so every concurrent caller (every serving thread) has its own.
public final class Workspace: @unchecked Sendable {
    private var blocks: [UnsafeMutableBufferPointer<Float>] = []
    private var used = 0
    /// The arithmetic of the products run in this workspace; `reset` returns it to float32.
    public var precision = Precision.float32

    public init(capacity: Int = 1 << 16) {
        blocks = [.allocate(capacity: max(capacity, 1))]
    }

    deinit { for block in blocks { block.deallocate() } }

    /// An uninitialised `[rows, columns]` matrix, valid until the next `reset`.
    public func matrix(rows: Int, columns: Int) -> Matrix {
        let count = max(rows * columns, 1)
        // Aligned to 16 scalars (64 bytes), the width of a cache line and an AVX-512 register.
        let start = (used + 15) & ~15
        if start + count > blocks[blocks.count - 1].count {
            // Grow by a new block: matrices already handed out keep pointing at the old ones.
            blocks.append(.allocate(capacity: max(count, 2 * blocks.reduce(0) { $0 + $1.count })))
            used = count
            return Matrix(base: blocks[blocks.count - 1].baseAddress!, rows: rows, columns: columns)
        }
        used = start + count
        return Matrix(base: blocks[blocks.count - 1].baseAddress! + start, rows: rows, columns: columns)
    }

    /// A `[rows, columns]` matrix of zeros.
    public func zeros(rows: Int, columns: Int) -> Matrix {
        let m = matrix(rows: rows, columns: columns)
        m.base.update(repeating: 0, count: m.count)
        return m
    }

    /// A matrix holding a copy of `scalars`, read as `[rows, scalars.count / rows]`.
    public func matrix(rows: Int, copying scalars: [Float]) -> Matrix {
        ensure(rows > 0 && scalars.count % rows == 0, "\(scalars.count) scalars do not make \(rows) rows")
        let m = matrix(rows: rows, columns: scalars.count / rows)
        scalars.withUnsafeBufferPointer { m.base.update(from: $0.baseAddress!, count: scalars.count) }
        return m
    }

    /// Makes all memory reusable; matrices handed out before are invalid afterwards. Blocks
    /// grown during the last use are merged into one, so the next use of that size fits.
    public func reset() {
        used = 0
        precision = .float32
        guard blocks.count > 1 else { return }
        let total = blocks.reduce(0) { $0 + $1.count }
        for block in blocks { block.deallocate() }
        blocks = [.allocate(capacity: total)]
    }

    /// The scalars this workspace holds.
    public var capacity: Int { blocks.reduce(0) { $0 + $1.count } }

    private static let pool = Mutex<[Workspace]>([])
    /// A workspace grown past this many scalars (64 MiB) by a large batch is freed after use
    /// rather than kept in the pool.
    static let pooledCapacityLimit = 1 << 24

    /// Runs `body` with a workspace of the shared pool (created on first need), reset after.
    /// Results must be copied out of the workspace before `body` returns.
    public static func borrow<R>(_ body: (Workspace) throws -> R) rethrows -> R {
        let workspace = pool.withLock { $0.popLast() } ?? Workspace()
        defer {
            workspace.reset()
            if workspace.capacity <= pooledCapacityLimit { pool.withLock { $0.append(workspace) } }
        }
        return try body(workspace)
    }
}
