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
    /// Whether the server builds a pipeline from the store when it starts.
    public var buildAtStart = true
    /// How often the server looks for a changed configuration file or a newer ranker and
    /// reloads on its own (0: only `POST /v1/admin/reload` does).
    public var reloadCheckSeconds = 5.0
    /// Age at which the pipeline is rebuilt so that new items and events reach the channels
    /// (0: never on its own).
    public var rebuildEverySeconds = 3_600.0
    /// How often the exposures feeds showed are merged into the user-state store, so that a
    /// restart forgets at most this much (0: kept in memory only, and lost on restart).
    public var exposureSaveSeconds = 0.2
    /// Age at which a user's copy of their stored exposure filter is read again before a feed,
    /// to take in what other servers on the same store showed them. It is always read on the
    /// user's first feed in the process.
    public var exposureRefreshSeconds = 1.0

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKeys: Set<String> = [], readsNeedKey: Bool = false) {
        self.host = host
        self.port = port
        self.apiKeys = apiKeys
        self.readsNeedKey = readsNeedKey
    }
}
