/// How far one ascent step of size `rate` from `start` to `after` strays from `rate` times the
/// gradient of `objective` at `start`, the gradient taken by central differences in float64:
/// the largest |moved − gradient| / max(1, |gradient|) over the parameters, and its index.
public func largestAscentStepError(from start: [Float], to after: [Float], rate: Float, objective: ([Double]) -> Double,
                                   h: Double = 1e-6) -> (error: Double, parameter: Int) {
    precondition(start.count == after.count, "one value after the step per parameter")
    let point = start.map(Double.init)
    var worst = (error: 0.0, parameter: -1)
    for k in point.indices {
        var up = point, down = point
        up[k] += h
        down[k] -= h
        let gradient = (objective(up) - objective(down)) / (2 * h)
        let moved = Double(after[k] - start[k]) / Double(rate)
        let error = abs(moved - gradient) / max(1, abs(gradient))
        if error > worst.error { worst = (error, k) }
    }
    return worst
}
