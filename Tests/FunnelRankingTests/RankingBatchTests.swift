import FunnelStages
import Testing

/// A model's view of the candidates' features: chosen rows and columns, in the order asked.
@Suite struct RankingBatchTests {
    /// Three rows of five values, each value 10 · row + column.
    let batch = RankingBatch(width: 5, features: (0..<3).flatMap { r in (0..<5).map { Float(10 * r + $0) } })

    @Test func keepsTheColumnsAskedForInTheirOrder() {
        let kept = RankingBatch(width: 5, features: batch.features, columns: [4, 1, 2, 3, 0, 0])
        #expect(kept.width == 6 && kept.count == 3)
        #expect(kept.features == [4, 1, 2, 3, 0, 0, 14, 11, 12, 13, 10, 10, 24, 21, 22, 23, 20, 20])
    }

    @Test func keepsTheRowsAskedForInTheirOrder() {
        #expect(batch.rows([2, 0, 2]).features == [20, 21, 22, 23, 24, 0, 1, 2, 3, 4, 20, 21, 22, 23, 24])
        let both = RankingBatch(width: 5, features: batch.features, rows: [1], columns: [3, 4])
        #expect(both.width == 2 && both.features == [13, 14])
        #expect(batch.rows([Int]()).count == 0)
    }
}
