import Foundation
import FunnelData
import FunnelTestSupport
import Testing

@Suite struct AdultTests {
    static let header = "age,workclass,fnlwgt,education,educational-num,marital-status,occupation,relationship,race,gender,capital-gain,capital-loss,hours-per-week,native-country,income"

    func directory(_ rows: [String]) throws -> URL {
        let folder = try TestData.temporaryDirectory()
        try Data(([Self.header] + rows).joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("adult.csv"))
        return folder
    }

    /// Numerics as they are (log(1 + x) for the heavy-tailed ones), categories one-hot in
    /// sorted order, marital status only as a label, and both spellings of the high income.
    @Test func readsFeaturesAndBothTasks() throws {
        let adult = try Adult.load(from: try directory([
            "25,Private,226802,11th,7,Never-married,Machine-op-inspct,Own-child,Black,Male,0,0,40,United-States,<=50K",
            "38,Self-emp,89814,HS-grad,9,Married-civ-spouse,Farming-fishing,Husband,White,Male,7688,0,50,United-States,>50K.",
        ]))
        #expect(adult.count == 2 && adult.highIncome == [0, 1] && adult.neverMarried == [1, 0])
        #expect(!adult.featureNames.contains { $0.hasPrefix("marital-status") || $0.hasPrefix("income") })
        let row1 = Dictionary(uniqueKeysWithValues: zip(adult.featureNames, adult.features[adult.width...]))
        #expect(row1["age"] == 38 && row1["hours-per-week"] == 50)
        #expect(abs(row1["capital-gain"]! - log1p(7688)) < 1e-4)
        #expect(row1["workclass=Self-emp"] == 1 && row1["workclass=Private"] == 0)
        #expect(adult.featureNames.firstIndex(of: "workclass=Private")! < adult.featureNames.firstIndex(of: "workclass=Self-emp")!)
    }

    @Test func aBadRowIsNamedByLine() throws {
        let folder = try directory(["25,Private,x,11th,7,Never-married,Sales,Own-child,Black,Male,0,0,40,United-States,<=50K"])
        let error = #expect(throws: DataError.self) { try Adult.load(from: folder) }
        #expect(error?.line == 2 && error?.message.contains("fnlwgt is 'x'") == true, "\(String(describing: error))")
        let short = try directory(["25,Private"])
        #expect(throws: DataError.self) { try Adult.load(from: short) }
    }

    /// The real file, when the datasets folder is present: 48,842 people, the documented rates.
    @Test func theRealFile() throws {
        let folder = DataDirectory.root.appendingPathComponent("adult")
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("adult.csv").path) else {
            print("skipping: UCI Adult not found in \(folder.path) (set FUNNEL_DATA)")
            return
        }
        let adult = try Adult.load(from: folder)
        #expect(adult.count == 48_842)
        #expect(adult.highIncome.reduce(0, +) == 11_687 && adult.neverMarried.reduce(0, +) == 16_117)
    }
}
