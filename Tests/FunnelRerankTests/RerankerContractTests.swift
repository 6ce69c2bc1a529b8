import FunnelRerank
import FunnelStages
import FunnelTesting
import Testing

@Suite struct RerankerContractTests {
    @Test func mmrPassesTheContract() {
        RerankerContract.check(MMRReranker(lambda: 0.7, window: 5))
        RerankerContract.check(MMRReranker(lambda: 0.3, window: 1))
    }

    @Test func relevanceOrderPassesTheContract() {
        RerankerContract.check(RelevanceOrder())
    }
}
