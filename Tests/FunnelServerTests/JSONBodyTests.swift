import Foundation
import FunnelPipeline
@testable import FunnelServer
import Testing

@Suite struct JSONBodyTests {
    /// A feed written directly is byte for byte what the encoder writes, for ids that need
    /// escaping and scores of every form; one with explanations is left to the encoder.
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
