import Foundation
import FunnelPipeline
@testable import FunnelServer
import Testing

@Suite struct JSONBodyTests {
    /// A feed written directly is byte for byte what the encoder writes, for ids that need
    /// escaping and scores of every form; one with explanations is left to the encoder.
    /// RFC 3339 times, including what Foundation's parser refuses: offsets beyond ±18:00 and
    /// a lower-case `t` or `z`.
    @Test func timesAsRFC3339WritesThem() throws {
        let noon = Date(timeIntervalSince1970: 1_796_000_400)   // 2026-11-29T...Z
        let utc = ISO8601DateFormatter().string(from: noon)
        #expect(JSONBody.date(utc) == noon)
        #expect(JSONBody.date(utc.lowercased()) == noon)
        let base = String(utc.dropLast())
        #expect(JSONBody.date(base + "+20:22") == noon.addingTimeInterval(-(20 * 3_600 + 22 * 60)))
        #expect(JSONBody.date(base + "-23:59") == noon.addingTimeInterval(23 * 3_600 + 59 * 60))
        #expect(JSONBody.date(base + ".5+02:00") == noon.addingTimeInterval(0.5 - 2 * 3_600))
        #expect(JSONBody.date(base + "+24:00") == nil && JSONBody.date("noon") == nil)
    }

    @Test func feedsAreWrittenAsTheEncoderWritesThem() throws {
        let ids = ["i1", "a/b", "quote\"d", "back\\slash", "tab\tnew\nline\r", "bell\u{7}\u{1F}", "é ü 日本", "\u{2028}", "form\u{8}\u{C}"]
        let scores = [1.0, 0.1, 1e-7, 123_456_789, 1e21, 1.671_823_4, -0.0, -2.5, 5e-324]
        var result = FeedResult(user: "u/\"1\"", items: zip(ids, scores).map { FeedResult.Entry(item: $0, score: $1) })
        let written = try #require(JSONBody.feedBytes(result))
        let encoded = try JSONBody.encoder.encode(result)
        #expect(written == Array(encoded), "\(String(decoding: written, as: UTF8.self)) vs \(String(decoding: encoded, as: UTF8.self))")
        result.items[0].predictions = ["click": 0.5]
        #expect(JSONBody.feedBytes(result) == nil)
    }
}
