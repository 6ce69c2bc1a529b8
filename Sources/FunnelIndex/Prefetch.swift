import CPrefetch

/// Loads scattered elements of an array into cache ahead of a pass that reads them: requests
/// issued back to back overlap their memory latency, where the pass itself would wait for one
/// miss after another. Worth it when a few hundred to a few thousand rows of a table far larger
/// than the caches are about to be read in turn.
public enum Prefetch {
    /// The elements of `array` at each of `rows` (those out of range are skipped), every cache
    /// line of each: an element of 64 bytes or less may still straddle two.
    public static func elements<Element>(of array: [Element], at rows: [Int32]) {
        array.withUnsafeBufferPointer { buffer in
            guard let base = UnsafeRawPointer(buffer.baseAddress) else { return }
            let stride = MemoryLayout<Element>.stride
            for row in rows where row >= 0 && Int(row) < buffer.count {
                let start = base + Int(row) * stride
                var offset = 0
                while offset < stride {
                    funnel_prefetch(start + offset)
                    offset += 64
                }
                funnel_prefetch(start + stride - 1)
            }
        }
    }
}
