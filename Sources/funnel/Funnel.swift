import ArgumentParser
import CCPUCheck
import Foundation
import FunnelTensor
import NIOCore
import NIOPosix

@main
enum Main {
    static func main() async {
        // The compute targets are compiled for AVX2 and FMA (Package.swift): on a CPU without them
        // the first vector loop would stop the process with an illegal instruction, unexplained.
        guard funnel_cpu_runs_avx2_fma() != 0 else {
            FileHandle.standardError.write(Data("funnel: this CPU lacks AVX2 or FMA, which Funnel's x86-64 build requires (any x86-64 server CPU since 2013 has both)\n".utf8))
            exit(1)
        }
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
        subcommands: [QuickstartCommand.self, DemoCommand.self, ImportCommand.self, SimulateCommand.self, TrainCommand.self, EvalCommand.self, CompareCommand.self, ServeCommand.self, RecommendCommand.self, ExperimentCommand.self, BenchCommand.self, DoctorCommand.self]
    )

    static let version = "0.1.0"
}
