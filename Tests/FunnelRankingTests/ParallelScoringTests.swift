import Foundation
import FunnelRanking
import FunnelTensor
import Testing

/// Scoring split across threads (each thread runs the whole network on its share of the rows)
/// gives what one thread gives, row for row. In a child process, as the thread count is
/// process-wide and other tests run concurrently.
@Suite struct ParallelScoringTests {
    static func scores(threads: Int) -> [Float] {
        Compute.setThreads(threads)
        let model = DCNv2(DCNv2.Configuration(fieldCount: 10, vocabularySize: 500))
        var generator = SeededGenerator(seed: 12)
        let rows = 1_001  // not a multiple of the chunk count
        let ids = (0..<(rows * 10)).map { _ in Int32(generator.nextInt(below: 500)) }
        return CTRTraining.predict(model, ids: ids, batch: rows)
    }

    @Test func twoThreadsScoreAsOne() async {
        await #expect(processExitsWith: .success) {
            let (one, two) = (ParallelScoringTests.scores(threads: 1), ParallelScoringTests.scores(threads: 2))
            let worst = zip(one, two).map { abs($0 - $1) }.max() ?? .infinity
            exit(one.count == 1_001 && two.count == 1_001 && worst < 1e-6 ? 0 : 1)
        }
    }
}
