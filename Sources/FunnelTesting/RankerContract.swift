import FunnelStages
import FunnelTensor
import Testing

/// What every `Ranker` must do, checked on random batches of its width: call `check` from a
/// test of each conformer.
public enum RankerContract {
    public static func check(_ ranker: any Ranker, rows: Int = 64, seed: UInt64 = 1,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        let width = ranker.featureNames.count
        #expect(width > 0 && Set(ranker.featureNames).count == width, "\(ranker.name): feature names are distinct and not empty",
                sourceLocation: sourceLocation)
        #expect(!ranker.objectives.isEmpty && Set(ranker.objectives).count == ranker.objectives.count,
                "\(ranker.name): objectives are distinct and not empty", sourceLocation: sourceLocation)
        guard width > 0, !ranker.objectives.isEmpty else { return }
        var generator = SeededGenerator(seed: seed)
        let batch = randomBatch(width: width, rows: rows, generator: &generator)
        let predictions = ranker.predict(batch)
        #expect(predictions.count == rows && predictions.objectives == ranker.objectives,
                "\(ranker.name): one row per candidate, one column per declared objective", sourceLocation: sourceLocation)
        #expect(predictions.isValid, "\(ranker.name): predictions are finite and in range", sourceLocation: sourceLocation)
        #expect(ranker.predict(batch) == predictions, "\(ranker.name): the same batch gets the same predictions",
                sourceLocation: sourceLocation)

        // A candidate scores the same alone, and in a batch of another order.
        let reversed = ranker.predict(batch.rows((0..<rows).reversed()))
        var worst = 0.0
        for row in 0..<rows {
            let alone = ranker.predict(batch.rows([row]))
            for objective in ranker.objectives {
                let value = predictions.value(row, objective)!
                let scale = max(1, abs(value))
                worst = max(worst, abs(alone.value(0, objective)! - value) / scale,
                            abs(reversed.value(rows - 1 - row, objective)! - value) / scale)
            }
        }
        #expect(worst <= 1e-5, "\(ranker.name): predictions depend on each row alone (largest difference \(worst))",
                sourceLocation: sourceLocation)

        // Extreme but finite features still give valid predictions; an empty batch, none.
        let extreme = RankingBatch(width: width, features: (0..<(4 * width)).map { i in [1e4, -1e4, 0, 1e-30][i % 4] })
        #expect(ranker.predict(extreme).isValid, "\(ranker.name): extreme features give valid predictions", sourceLocation: sourceLocation)
        #expect(ranker.predict(RankingBatch(width: width, features: [])).count == 0, "\(ranker.name): an empty batch gets no predictions",
                sourceLocation: sourceLocation)
    }

    /// Rows of standard normal values, a quarter of them zero (as absent channels are).
    public static func randomBatch(width: Int, rows: Int, generator: inout SeededGenerator) -> RankingBatch {
        let values = Tensor.randomNormal(shape: [rows * width], generator: &generator).scalars
        return RankingBatch(width: width, features: values.enumerated().map { $0.offset % 4 == 3 ? 0 : $0.element })
    }
}
