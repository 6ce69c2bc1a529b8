import FunnelTensor
import Testing

/// Shape mismatches are programming errors: they stop the process with a message that names
/// both shapes. Each case runs in a child process.
@Suite struct ShapeErrorTests {
    @Test func matmulNamesBothShapes() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let g = Graph(mode: .inference)
            _ = g.matmul(g.constant(Tensor(zeros: [2, 3])), g.constant(Tensor(zeros: [4, 5])))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[4, 5]"), "\(message)")
    }

    @Test func broadcastingNamesBothShapes() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let g = Graph(mode: .inference)
            _ = g.constant(Tensor(zeros: [2, 3])) + g.constant(Tensor(zeros: [4]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[4]"), "\(message)")
    }

    @Test func linearNamesBothShapes() async throws {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let g = Graph(mode: .inference)
            _ = g.linear(g.constant(Tensor(zeros: [2, 3])), weight: g.constant(Tensor(zeros: [5, 4])), bias: nil)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[5, 4]"), "\(message)")
    }
}
