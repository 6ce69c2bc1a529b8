import ArgumentParser
import FunnelTensor

@main
enum Main {
    static func main() async {
        BLASKernel.restartWithRecommendedKernelIfNeeded()
        await Funnel.main()
    }
}

struct Funnel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "funnel",
        abstract: "A self-hosted recommender engine: retrieval, ranking and reranking models, trained and served by one tool.",
        subcommands: [QuickstartCommand.self, DemoCommand.self, ImportCommand.self, SimulateCommand.self, TrainCommand.self, EvalCommand.self, ServeCommand.self, RecommendCommand.self, BenchCommand.self]
    )
}
