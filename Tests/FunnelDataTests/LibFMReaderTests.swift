import Foundation
import FunnelData
import FunnelTestSupport
import Testing

@Suite struct LibFMReaderTests {
    func file(_ text: String) throws -> URL {
        let url = try TestData.temporaryDirectory().appendingPathComponent("data.libfm")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func readsLabelsAndIds() throws {
        let data = try LibFMReader.read(try file("1 0:1 5:1\n-1 2:1 3:1\r\n0 1:1 4:1"))
        #expect(data.fieldCount == 2 && data.count == 3 && data.vocabularySize == 6)
        #expect(data.labels == [1, 0, 0])
        #expect(data.ids == [0, 5, 2, 3, 1, 4])
        #expect(data.ids(of: [2, 0]) == [1, 4, 0, 5])
    }

    @Test func errorsNameFileAndLine() throws {
        let cases = [
            ("1 0:1 1:1\n1 0:1\n", 2, "1 features where earlier lines have 2"),
            ("1 0:1\nx 0:1\n", 2, "label 'x' is not a number"),
            ("1 0:1\n1 a:1\n", 2, "not of the form id:value"),
            ("1 0:2\n", 1, "value other than 1"),
            ("1 9:1\n", 1, "outside the vocabulary of 5"),
        ]
        for (text, line, fragment) in cases {
            let url = try file(text)
            do {
                _ = try LibFMReader.read(url, vocabularySize: 5)
                Issue.record("read malformed input; expected '\(fragment)'")
            } catch let error as DataError {
                #expect(error.line == line && error.file == url.path && error.message.contains(fragment), "\(error)")
            }
        }
        #expect(throws: DataError.self) { try LibFMReader.read(try file("")) }
        #expect(throws: DataError.self) { try LibFMReader.read(URL(fileURLWithPath: "/nonexistent/file.libfm")) }
    }

    @Test(.enabled(if: TestData.frappe != nil, "Frappe \(TestData.missingMessage)"))
    func readsFrappe() throws {
        let frappe = try Frappe.load(from: TestData.frappe!)
        #expect(frappe.train.count == 202_812 && frappe.validation.count == 57_722)
        #expect(frappe.train.fieldCount == 10)
        #expect(abs(frappe.validation.positiveRate - 19_063.0 / 57_722.0) < 1e-9)
        #expect(frappe.features.count == Frappe.vocabularySize)
        #expect(frappe.describe(feature: 0) == "user=0")
    }
}
