import ArgumentParser
import FunnelTensor
import NIOCore
import NIOPosix

@main
enum Main {
    static func main() async {
        // Swift concurrency's jobs run on the event loops that also do the server's I/O, so a
        // request does not hop between two thread pools on its way (fewer thread switches).
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await Funnel.main()
    }
}

struct Funnel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "funnel",
        abstract: "A self-hosted recommender engine: retrieval, ranking and reranking models, trained and served by one tool.",
        version: "funnel \(Funnel.version); BLAS: \(BLASLibrary.shared.summary)",
        subcommands: [QuickstartCommand.self, DemoCommand.self, ImportCommand.self, SimulateCommand.self, TrainCommand.self, EvalCommand.self, CompareCommand.self, ServeCommand.self, RecommendCommand.self, BenchCommand.self, DoctorCommand.self]
    )

    static let version = "0.1.0"
}
