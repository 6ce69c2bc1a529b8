import Foundation
import FunnelPipeline
import FunnelServer
import Testing

@Suite struct ConfigurationFileTests {
    @Test func readsEveryTableOverTheDefaults() throws {
        let file = try ConfigurationFile.parse("""
            [server]
            host = "0.0.0.0"
            port = 9000
            apiKeys = ["k1", "k2"]
            readsNeedKey = true

            [pipeline]
            mmrLambda = 0.5
            [pipeline.quotas]
            latest = 0
            itemcf = 150
            """)
        var server = ServerConfiguration(apiKeys: ["cli"])
        file.apply(to: &server)
        #expect(server.host == "0.0.0.0" && server.port == 9000 && server.apiKeys == ["cli", "k1", "k2"] && server.readsNeedKey)
        #expect(server.maximumBatch == ServerConfiguration().maximumBatch, "left out, left at the default")
        var expected = PipelineConfiguration()
        (expected.mmrLambda, expected.quotas) = (0.5, ["latest": 0, "itemcf": 150])
        #expect(file.pipeline == expected)
        #expect(try ConfigurationFile.parse("").pipeline == nil)
    }

    @Test func theExampleFileIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try ConfigurationFile.load(root.appendingPathComponent("funnel.example.toml"))
        #expect(file.pipeline?.quotas == ["latest": 50, "swing": 150] && file.server?.apiKeys == ["change-me"])
    }

    /// Each bad file and a phrase its error must hold.
    @Test func badFilesAreNamed() {
        let cases = [
            ("[pipeline]\nmmrLamda = 0.5", "unknown key pipeline.mmrLamda"),
            ("[server]\nport = \"eighty\"", "server.port has the wrong type"),
            ("[pipeline]\nmmrWindow = \"five\"", "pipeline.mmrWindow"),
            ("[pipeline]\nmmrLambda = 1.5", "pipeline.mmrLambda must be within 0…1"),
            ("[pipeline]\nneighboursPerItem = 0", "pipeline.neighboursPerItem must be at least 1"),
            ("[pipeline.quotas]\nlatest = -1", "pipeline.quotas must not be negative"),
            ("[server]\nport = 70000", "server.port must be 0…65535"),
            ("[server\nport = 1", "funnel.toml:1:"),
        ]
        for (text, phrase) in cases {
            do {
                _ = try ConfigurationFile.parse(text, source: "funnel.toml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect("\(error)".contains(phrase), "'\(error)' lacks '\(phrase)'")
            }
        }
    }
}
