import Foundation
import FunnelData
import FunnelRerank
import Testing

@Suite struct ItemSimilarityTests {
    static let items: [Item?] = [
        Item(id: "a", categories: ["games/puzzle"], tags: ["cozy", "retro"], authorID: "x", text: "Red shoes for running", contentVector: [1, 0, 0]),
        Item(id: "b", categories: ["games/action"], tags: ["retro"], authorID: "x", text: "red boots", contentVector: [1, 1, 0]),
        Item(id: "c", categories: ["food"], authorID: "y", text: "Blue boots for hiking", contentVector: [-1, 0, 0]),
        nil,
    ]

    @Test func eachPartByHand() {
        func similarity(_ weights: SimilarityWeights) -> ItemSimilarity { ItemSimilarity(items: Self.items, weights: weights) }
        let category = similarity(SimilarityWeights())
        #expect(category(0, 1) == 1.0 / 3, "games, games/puzzle against games, games/action")
        #expect(category(0, 2) == 0 && category(0, 0) == 1)
        #expect(category(0, 3) == 0 && category(0, -1) == 0, "a row without an item, or none, is like nothing")
        let author = similarity(SimilarityWeights(category: 0, author: 1))
        #expect(author(0, 1) == 1 && author(0, 2) == 0)
        let tags = similarity(SimilarityWeights(category: 0, tags: 1))
        #expect(tags(0, 1) == 0.5 && tags(1, 2) == 0)
        let vector = similarity(SimilarityWeights(category: 0, vector: 1))
        #expect(abs(vector(0, 1) - 1 / 2.0.squareRoot()) < 1e-6)
        #expect(vector(0, 2) == 0, "a negative cosine counts as 0")
        #expect(vector.rowsWithVectors == 3)
        // Weights 1 and 3: a quarter category, three quarters author.
        let mixed = similarity(SimilarityWeights(category: 1, author: 3))
        #expect(abs(mixed(0, 1) - (0.25 / 3 + 0.75)) < 1e-12)
    }

    @Test func vectorsFromAChannel() {
        let vectors: [[Float]?] = [[0, 2], [3, 0], [1, 1], nil]
        let similarity = ItemSimilarity(items: Self.items, weights: SimilarityWeights(category: 0, vector: 1, vectors: .twoTower)) { vectors[$0] }
        #expect(similarity(0, 1) == 0)
        #expect(abs(similarity(0, 2) - 1 / 2.0.squareRoot()) < 1e-6)
        #expect(similarity(0, 3) == 0 && similarity.rowsWithVectors == 3)
    }

    @Test func termsOfText() {
        #expect(TextVectors.terms(of: "Red shoes, for RUNNING!") == ["red", "shoes", "red shoes", "for", "shoes for", "running", "for running"])
        #expect(TextVectors.terms(of: "推荐系统") == ["推荐", "荐系", "系统"], "ideographs pair up")
        #expect(TextVectors.terms(of: "新 app") == ["新", "app"], "a lone ideograph is a term; no pair across scripts")
    }

    /// Two texts of one word each and a third with both: idf = 1 + log(4/3) for a word in two
    /// of three texts; every vector has unit length, so the cosine of "red" and "red boots" is
    /// w_red / ‖(w_red, w_boots, w_red boots)‖ with w_red = w_boots = 1 + log(4/3) and
    /// w_{red boots} = 1 + log(4/2).
    @Test func textCosineByHand() {
        let vectors = TextVectors(["red", "boots", "red boots", nil])
        let common = 1 + log(4.0 / 3), rare = 1 + log(2.0)
        let expected = common / (2 * common * common + rare * rare).squareRoot()
        #expect(abs(vectors.cosine(0, 2) - expected) < 1e-6)
        #expect(vectors.cosine(0, 1) == 0 && vectors.cosine(0, 3) == 0)
        #expect(abs(vectors.cosine(2, 2) - 1) < 1e-6)
    }

    /// The parts but the vector one make a positive semi-definite matrix over any items, so the
    /// DPP's kernel over their mix is one: a Cholesky factorisation of the similarity matrix of
    /// 60 random items (plus 1e-9 on the diagonal) succeeds.
    @Test func mixOfPartsIsPositiveSemidefinite() {
        var random = SystemRandomNumberGenerator()
        let words = ["red", "blue", "boots", "shoes", "run", "hike", "cozy"]
        let items: [Item?] = (0..<60).map { k in
            Item(id: "i\(k)", categories: ["c\(Int.random(in: 0..<3, using: &random))/d\(Int.random(in: 0..<3, using: &random))"],
                 tags: Array(words.shuffled(using: &random).prefix(2)), authorID: "a\(Int.random(in: 0..<4, using: &random))",
                 text: (0..<4).map { _ in words.randomElement(using: &random)! }.joined(separator: " "))
        }
        let similarity = ItemSimilarity(items: items, weights: SimilarityWeights(category: 1, author: 0.5, tags: 2, text: 1))
        let n = items.count
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = similarity(Int32(i), Int32(j)) + (i == j ? 1e-9 : 0)
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    #expect(sum > 0, "pivot \(i) is \(sum)")
                    l[i * n + i] = max(sum, 1e-300).squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
    }
}
