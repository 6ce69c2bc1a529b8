import Foundation
import FunnelData
import FunnelTestSupport
import Testing

@Suite struct LineReaderTests {
    /// Lines of every length (empty, CRLF, multi-byte characters, no final newline) read back the
    /// same whatever the chunk size, including chunks that split a line or a character.
    @Test func linesSurviveEveryChunkBoundary() throws {
        var generator = SplitMix64(seed: 9)
        let pieces = ["a", "é", "字", "🙂", ",", " ", "\"", "x1"]
        var lines: [String] = []
        for _ in 0..<300 {
            lines.append((0..<Int(generator.next() % 12)).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined())
        }
        lines.append("end")   // a file ending in a newline has no empty last line to read back
        var text = ""
        for (k, line) in lines.enumerated() { text += line + (k == lines.count - 1 ? "" : k % 3 == 0 ? "\r\n" : "\n") }
        let url = try TestData.temporaryDirectory().appendingPathComponent("lines.txt")
        try Data(text.utf8).write(to: url)
        for chunkSize in [1, 2, 3, 7, 64, 1 << 20] {
            var reader = LineReader(url: url)
            reader.chunkSize = chunkSize
            var read: [String] = [], numbers: [Int] = []
            try reader.scan { line, number in
                read.append(line)
                numbers.append(number)
            }
            #expect(read == lines, "chunk size \(chunkSize)")
            #expect(numbers == Array(1...lines.count))
        }
    }
}
