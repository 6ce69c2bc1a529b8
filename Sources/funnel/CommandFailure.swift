/// A command that cannot do its job on the input it was given: printed as `Error: <message>`,
/// exit status 1, without the usage text a malformed command line gets.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ message: String) { description = message }
}
