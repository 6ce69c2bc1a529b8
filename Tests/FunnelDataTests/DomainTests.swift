import Foundation
import FunnelData
import Testing

@Suite struct DomainTests {
    @Test func categoryPathsExpandToEveryLevel() {
        let item = Item(id: "p1", categories: ["beauty/makeup/lipstick", "beauty/skincare"])
        #expect(item.categoryLevels == ["beauty", "beauty/makeup", "beauty/makeup/lipstick", "beauty/skincare"])
    }

    @Test func availabilityFollowsHiddenAndExpiry() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(Item(id: "a").isAvailable(at: now))
        #expect(!Item(id: "a", isHidden: true).isAvailable(at: now))
        #expect(!Item(id: "a", expiresAt: now).isAvailable(at: now))
    }

    @Test func badRecordsNameTheField() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let cases: [(() throws -> Void, String, String)] = [
            ({ try User(id: "").validate() }, "id", "is empty"),
            ({ try User(id: String(repeating: "x", count: 300)).validate() }, "id", "300 bytes"),
            ({ try User(id: "a\u{0}b").validate() }, "id", "NUL"),
            ({ try User(id: "u", numeric: ["age": .nan]).validate() }, "numeric.age", "must be finite"),
            ({ try User(id: "u", home: GeoPoint(latitude: 91, longitude: 0)).validate() }, "home", "not a valid"),
            ({ try Item(id: "i", categories: ["beauty//makeup"]).validate() }, "categories", "empty level"),
            ({ try Item(id: "i", contentVector: [1, .infinity]).validate() }, "contentVector", "NaN or infinity"),
            ({ try Event(userID: "u", itemID: "i", type: .view, timestamp: Date(timeIntervalSince1970: -5)).validate() }, "timestamp", "outside"),
            ({ try Event(userID: "u", itemID: "i", type: .view, timestamp: now, watchedSeconds: -1).validate() }, "watchedSeconds", "non-negative"),
            ({ try Event(userID: "u", itemID: "i", type: .click, timestamp: now, context: .init(hour: 24)).validate() }, "context.hour", "0–23"),
            ({ try Event(userID: "u", itemID: "i", type: .rating, timestamp: now).validate() }, "value", "required for a rating"),
            ({ try Event(userID: "u", itemID: "i", type: .purchase, timestamp: now, value: .nan).validate() }, "value", "finite"),
        ]
        for (check, field, fragment) in cases {
            do {
                try check()
                Issue.record("accepted a record with a bad \(field)")
            } catch let error as ValidationError {
                #expect(error.field == field && error.message.contains(fragment), "\(error)")
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        #expect(throws: Never.self) { try Event(userID: "u", itemID: "i", type: .view, timestamp: now, watchedSeconds: 12, itemDuration: 30).validate() }
    }

    @Test func unknownEventTypesAreRejectedByName() throws {
        let json = #"{"userID":"u","itemID":"i","type":"teleport","timestamp":0,"context":{}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Event.self, from: Data(json.utf8)) }
        #expect(EventType(rawValue: "follow-author") == .followAuthor)
    }

    @Test func ordinalsArePositionsInAllCases() {
        #expect(EventType.allCases.map(\.ordinal) == Array(EventType.allCases.indices))
    }

    @Test func internedIndicesSurviveSaveAndLoad() throws {
        var interner = IDInterner()
        #expect(interner.intern("b") == 0 && interner.intern("a") == 1 && interner.intern("b") == 0)
        let restored = try JSONDecoder().decode(IDInterner.self, from: try JSONEncoder().encode(interner))
        #expect(restored == interner && restored.lookup("a") == 1 && restored.id(of: 0) == "b" && restored.lookup("c") == nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(IDInterner.self, from: Data(#"["a","a"]"#.utf8)) }
    }
}
