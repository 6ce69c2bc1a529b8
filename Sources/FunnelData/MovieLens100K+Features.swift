extension MovieLens100K {
    /// Age bands as MovieLens-1M defines them.
    static func ageBand(_ age: Int) -> String {
        switch age {
        case ..<18: "<18"
        case 18..<25: "18-24"
        case 25..<35: "25-34"
        case 35..<45: "35-44"
        case 45..<50: "45-49"
        case 50..<56: "50-55"
        default: "56+"
        }
    }

    /// User fields: id, age band, gender, occupation, first digit of the zip code.
    public func userFeatures() -> FeatureTable {
        var vocabulary = FieldVocabulary(fieldCount: 5)
        var ids: [Int32] = []
        for (u, user) in users.enumerated() {
            ids.append(vocabulary.id(userIDs[u], field: 0))
            ids.append(vocabulary.id(Self.ageBand(user.age), field: 1))
            ids.append(vocabulary.id(user.gender, field: 2))
            ids.append(vocabulary.id(user.occupation, field: 3))
            let zip = user.zipCode.first.map { $0.isNumber ? String($0) : "other" } ?? "other"
            ids.append(vocabulary.id(zip, field: 4))
        }
        return FeatureTable(fieldCount: 5, ids: ids, vocabularySize: Int(vocabulary.size))
    }

    /// Item fields: id; bag: genres.
    public func itemFeatures() -> FeatureTable {
        FeatureTable(fieldCount: 1, ids: (0..<Int32(items.count)).map { $0 }, vocabularySize: items.count,
                     bags: items.map(\.genres), bagVocabularySize: genreNames.count)
    }
}
