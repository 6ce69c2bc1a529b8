import Hummingbird

/// Lets a request through only with one of the configured keys, in `X-API-Key` or as
/// `Authorization: Bearer <key>`; otherwise answers 401 with the reason.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !keys.isEmpty else { throw HTTPError(.unauthorized, message: "this server has no API key configured; writes are disabled") }
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        let header = request.headers.first { $0.name.canonicalName == "x-api-key" }?.value
        guard let key = header ?? bearer else {
            throw HTTPError(.unauthorized, message: "missing API key: send it in the X-API-Key header")
        }
        guard keys.contains(key) else { throw HTTPError(.unauthorized, message: "unknown API key") }
        return try await next(request, context)
    }
}
