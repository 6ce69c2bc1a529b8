import Foundation
import FunnelData
import FunnelTestSupport
import Testing

@Suite struct ImportTests {
    /// A temporary directory holding the given files, written as bytes.
    static func files(_ contents: [String: [UInt8]]) throws -> URL {
        let directory = try TestData.temporaryDirectory()
        for (name, bytes) in contents { try Data(bytes).write(to: directory.appendingPathComponent(name)) }
        return directory
    }

    static func files(_ contents: [String: String]) throws -> URL {
        try files(contents.mapValues { Array($0.utf8) })
    }

    /// Every batch of an import, flattened.
    static func drain(_ importer: Importer) throws -> RecordBatch {
        var all = RecordBatch()
        while let batch = try importer.nextBatch() {
            all.users += batch.users
            all.items += batch.items
            all.events += batch.events
        }
        return all
    }

    @Test func csvQuotingFollowsRFC4180() throws {
        let dir = try Self.files(["items.csv": "id,text,categories\nm1,\"Heat, 1995\",a|b\nm2,\"She said \"\"hi\"\"\n(twice)\",\n\nm3,plain,c\r\n"])
        var mapping = ColumnMapping(kind: .items, columns: ["id": "id", "text": "text", "categories": "categories"])
        mapping.listSeparator = "|"
        var reader = try RowReader.csv(dir.appendingPathComponent("items.csv"), mapping: mapping)
        var rows: [(ImportRecord, Int)] = []
        while let row = try reader.next() {
            guard case .records(let records, let line) = row else { Issue.record("bad row \(row)"); continue }
            rows.append((records[0], line))
        }
        #expect(rows.map(\.0) == [.item(Item(id: "m1", categories: ["a", "b"], text: "Heat, 1995")),
                                  .item(Item(id: "m2", text: "She said \"hi\"\n(twice)")),
                                  .item(Item(id: "m3", categories: ["c"], text: "plain"))])
        #expect(rows.map(\.1) == [2, 3, 6], "records are numbered by the line they start on")
    }

    @Test func movieLens1MDatFiles() throws {
        // movies.dat is Latin-1: 0xE9 is 'é'.
        let movies: [UInt8] = Array("1::Am".utf8) + [0xE9] + Array("lie (2001)::Comedy|Romance\n2::Heat (1995)::Action\n".utf8)
        let dir = try Self.files(["users.dat": Array("1::F::1::10::48067\n2::M::56::16::70072\n".utf8), "movies.dat": movies,
                                  "ratings.dat": Array("1::1::5::978300760\n2::2::3::978298413\n".utf8)])
        #expect(try MovieLensReaders.detect(dir) == .ml1m)
        let all = try Self.drain(Importer(readers: try MovieLensReaders.readers(dir)))
        #expect(all.users == [User(id: "1", categorical: ["gender": "F", "occupation": "10", "zip": "48067"], numeric: ["age": 1]),
                              User(id: "2", categorical: ["gender": "M", "occupation": "16", "zip": "70072"], numeric: ["age": 56])])
        #expect(all.items == [Item(id: "1", categories: ["Comedy", "Romance"], text: "Amélie (2001)"),
                              Item(id: "2", categories: ["Action"], text: "Heat (1995)")])
        #expect(all.events == [Event(userID: "1", itemID: "1", type: .rating, timestamp: Date(timeIntervalSince1970: 978_300_760), value: 5),
                               Event(userID: "2", itemID: "2", type: .rating, timestamp: Date(timeIntervalSince1970: 978_298_413), value: 3)])
    }

    @Test func movieLensLatestCSV() throws {
        let dir = try Self.files(["movies.csv": "movieId,title,genres\n1,\"American President, The (1995)\",Comedy|Drama|Romance\n2,Nothing (2003),(no genres listed)\n",
                                  "ratings.csv": "userId,movieId,rating,timestamp\n1,1,4.5,1112486027\n"])
        let all = try Self.drain(Importer(readers: try MovieLensReaders.readers(dir)))
        #expect(all.items == [Item(id: "1", categories: ["Comedy", "Drama", "Romance"], text: "American President, The (1995)"),
                              Item(id: "2", text: "Nothing (2003)")])
        #expect(all.events.map(\.value) == [4.5] && all.users.isEmpty)
    }

    @Test(.enabled(if: TestData.movieLens100K != nil, "MovieLens-100K \(TestData.missingMessage)"))
    func movieLens100KFromSharedData() throws {
        let dir = TestData.movieLens100K!
        let all = try Self.drain(Importer(readers: try MovieLensReaders.readers(dir)))
        #expect(all.users.count == 943 && all.items.count == 1682 && all.events.count == 100_000)
        #expect(all.items.first { $0.id == "1" }?.text == "Toy Story (1995)")
        #expect(all.items.first { $0.id == "1" }?.categories == ["Animation", "Children's", "Comedy"])
        #expect(Set(all.events.compactMap(\.value)) == [1, 2, 3, 4, 5])
    }

    @Test func badRowsStopTheImportNamingFileAndLine() throws {
        let dir = try Self.files(["events.csv": "u,i,t,type\na,x,100,click\nb,y,100,teleport\n"])
        let file = dir.appendingPathComponent("events.csv")
        let mapping = ColumnMapping(kind: .events, columns: ["user": "u", "item": "i", "timestamp": "t", "type": "type"])
        let error = #expect(throws: DataError.self) { try Self.drain(Importer(readers: [try RowReader.csv(file, mapping: mapping)])) }
        #expect(error?.file == file.path && error?.line == 3 && error?.message.contains("unknown event type 'teleport'") == true)
    }

    @Test func skipBadReportsEveryKindOfBadRow() throws {
        let long = String(repeating: "u", count: 300)
        let csv = """
            u,i,t,watched
            ok,x,100,
            ,x,100,
            \(long),x,100,
            nan,x,100,nan
            old,x,-10,
            late,x,9999999999,
            short,x
            fine,y,200,12.5

            """
        let dir = try Self.files(["events.csv": csv])
        let mapping = ColumnMapping(kind: .events, columns: ["user": "u", "item": "i", "timestamp": "t", "watched": "watched"], eventType: .view)
        let importer = Importer(readers: [try RowReader.csv(dir.appendingPathComponent("events.csv"), mapping: mapping)], batchSize: 2, skipBad: true)
        let all = try Self.drain(importer)
        #expect(all.events.map(\.userID) == ["ok", "fine"])
        #expect(all.events.last?.watchedSeconds == 12.5)
        let report = importer.report
        #expect(report.events == 2 && report.skipped == 6)
        #expect(report.skippedRows.map(\.line) == [3, 4, 5, 6, 7, 8])
        let messages = report.skippedRows.map(\.message)
        #expect(messages[0].contains("(user) is empty"))
        #expect(messages[1].contains("300 bytes"))
        #expect(messages[2].contains("watchedSeconds must be a non-negative number, got nan"))
        #expect(messages[3].contains("outside 1970–2199") && messages[4].contains("outside 1970–2199"))
        #expect(messages[5].contains("2 fields where the header has 4"))
    }

    @Test func mappingProblemsAreReportedBeforeAnyRow() throws {
        let dir = try Self.files(["users.csv": "uid,age\n1,30\n"])
        #expect(throws: RowError.self) { try ColumnMapping(kind: .users, columns: ["id": "uid", "colour": "c"]).validate() }
        #expect(throws: RowError.self) { try ColumnMapping(kind: .events, columns: ["user": "u", "item": "i", "timestamp": "t"]).validate() }
        let mapping = ColumnMapping(kind: .users, columns: ["id": "user_id"])
        var reader = try RowReader.csv(dir.appendingPathComponent("users.csv"), mapping: mapping)
        let error = #expect(throws: DataError.self) { try reader.next() }
        #expect(error?.line == 1 && error?.message.contains("no column 'user_id'") == true)
        var numeric = ColumnMapping(kind: .users, columns: ["id": "uid"])
        numeric.numericColumns = ["age"]
        var ok = try RowReader.csv(dir.appendingPathComponent("users.csv"), mapping: numeric)
        guard case .records(let records, _)? = try ok.next() else { Issue.record("no row"); return }
        #expect(records == [.user(User(id: "1", numeric: ["age": 30]))])
    }

    @Test func jsonLinesWithArraysAndISOTimes() throws {
        let dir = try Self.files(["items.jsonl": """
            {"id": "p1", "cats": ["beauty/makeup", "beauty"], "by": "a1", "at": "2024-05-01T12:00:00Z", "lat": 48.8, "lon": 2.3, "price": 9.5}
            {"id": "p2", "cats": "food|drink", "at": "2024-05-02"}
            [1, 2]
            """])
        var mapping = ColumnMapping(kind: .items, columns: ["id": "id", "categories": "cats", "author": "by", "created": "at",
                                                            "latitude": "lat", "longitude": "lon"])
        mapping.timeFormat = .iso8601
        mapping.numericColumns = ["price"]
        let importer = Importer(readers: [try JSONLinesReader(url: dir.appendingPathComponent("items.jsonl"), mapping: mapping)], skipBad: true)
        let all = try Self.drain(importer)
        #expect(all.items == [
            Item(id: "p1", categories: ["beauty/makeup", "beauty"], authorID: "a1", location: GeoPoint(latitude: 48.8, longitude: 2.3),
                 createdAt: Date(timeIntervalSince1970: 1_714_564_800), numeric: ["price": 9.5]),
            Item(id: "p2", categories: ["food", "drink"], createdAt: Date(timeIntervalSince1970: 1_714_608_000)),
        ])
        #expect(importer.report.skippedRows.map(\.line) == [3])
    }

    @Test func sequencesAndLibFMBecomeEvents() throws {
        let dir = try Self.files(["seq.txt": "1 10\n1 11\n2 10\n", "rows.libfm": "1 0:1 7:1 9:1\n0 3:1 8:1 9:1\n"])
        let seq = try Self.drain(Importer(readers: [try RowReader.sequences(dir.appendingPathComponent("seq.txt"))]))
        #expect(seq.events.map { "\($0.userID)>\($0.itemID)@\(Int($0.timestamp.timeIntervalSince1970))" } == ["1>10@1", "1>11@2", "2>10@3"])
        let fm = try Self.drain(Importer(readers: [try RowReader.libfm(dir.appendingPathComponent("rows.libfm"), userField: 0, itemField: 1)]))
        #expect(fm.events.map { "\($0.type.rawValue) \($0.userID) \($0.itemID)" } == ["exposure f0 f7", "click f0 f7", "exposure f3 f8"])
    }
}
