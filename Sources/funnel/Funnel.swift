import ArgumentParser

@main
struct Funnel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "funnel",
        abstract: "A self-hosted recommender engine: retrieval, ranking and reranking models, trained and served by one tool.",
        subcommands: [DemoCommand.self, BenchCommand.self]
    )
}
