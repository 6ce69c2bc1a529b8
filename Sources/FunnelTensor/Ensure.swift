/// Stops the process with `message` when `condition` is false.
///
/// Unlike `precondition`, whose message optimised builds drop, this prints the message in every
/// build, so a shape mismatch always names both shapes.
@inline(__always)
@usableFromInline
func ensure(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError(message(), file: file, line: line) }
}
