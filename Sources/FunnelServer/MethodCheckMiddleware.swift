import Hummingbird

/// Answers 405 Method Not Allowed, with the `Allow` header, to a method a known route does not
/// take (the router alone would answer 404, as for a path that does not exist).
struct MethodCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Route paths as segments (":name" matches any one segment) with their methods.
    let routes: [(segments: [Substring], methods: [HTTPRequest.Method])]

    init(_ routes: [(path: String, methods: [HTTPRequest.Method])]) {
        self.routes = routes.map { ($0.path.split(separator: "/"), $0.methods) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let segments = request.uri.path.split(separator: "/")
        let matching = routes.filter { route in
            route.segments.count == segments.count && zip(route.segments, segments).allSatisfy { $0.first == ":" || $0 == $1 }
        }
        let allowed = matching.flatMap(\.methods)
        guard matching.isEmpty || allowed.contains(request.method) || (request.method == .head && allowed.contains(.get)) else {
            throw HTTPError(.methodNotAllowed, headers: [.allow: allowed.map(\.rawValue).joined(separator: ", ")],
                            message: "\(request.method.rawValue) is not allowed here; use \(allowed.map(\.rawValue).joined(separator: " or "))")
        }
        return try await next(request, context)
    }
}
