/// How the API server listens and whom it lets in.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Keys accepted in `X-API-Key` (or `Authorization: Bearer`). Writes and admin calls always
    /// need one; with none configured they are refused.
    public var apiKeys: Set<String> = []
    /// Whether reads (feeds, items, history) need a key too.
    public var readsNeedKey = false
    /// Records per batch call; a larger batch is refused whole.
    public var maximumBatch = 10_000
    /// Bytes of one request body.
    public var maximumBodyBytes = 64 << 20

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKeys: Set<String> = [], readsNeedKey: Bool = false) {
        self.host = host
        self.port = port
        self.apiKeys = apiKeys
        self.readsNeedKey = readsNeedKey
    }
}
