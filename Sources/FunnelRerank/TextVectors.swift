import Foundation
import FunnelIndex

/// Sparse TF-IDF vectors of short texts, for the likeness of items by what their text says.
/// Terms are the lower-cased words (runs of letters and digits) and each pair of adjacent
/// words; in runs of ideographs, written without spaces, each pair of adjacent characters (and a
/// lone character). Terms are hashed to 32 bits, so nothing keeps a vocabulary of strings; two
/// terms rarely share a hash (`StableHash`, the same on every machine) in one catalogue, and
/// when they do they only count as one.
/// Each vector weighs a term by (1 + log tf) · idf, with idf = 1 + log((1 + N) / (1 + df)) over
/// the N texts given (nil is no text), keeps its `maxTerms` heaviest terms and has unit length,
/// so the dot product of two is their cosine, within [0, 1] as no weight is negative.
public struct TextVectors: Sendable {
    /// Per text, its range in `terms` and `weights` (empty: no text).
    let spans: [Range<Int32>]
    /// Term hashes, ascending within each text's span, and their weights.
    let terms: [UInt32]
    let weights: [Float]

    public var count: Int { spans.count }

    public init(_ texts: [String?], maxTerms: Int = 64) {
        let counted = texts.map { $0.map(Self.termCounts) ?? [:] }
        var documents: [UInt32: Int32] = [:]
        for counts in counted { for term in counts.keys { documents[term, default: 0] += 1 } }
        let n = Double(texts.count(where: { $0 != nil }))
        var spans: [Range<Int32>] = [], terms: [UInt32] = [], weights: [Float] = []
        spans.reserveCapacity(counted.count)
        for counts in counted {
            var weighted = counts.map { term, tf in
                (term, (1 + log(Double(tf))) * (1 + log((1 + n) / (1 + Double(documents[term]!)))))
            }
            if weighted.count > maxTerms {
                weighted.sort { ($0.1, $0.0) > ($1.1, $1.0) }
                weighted.removeLast(weighted.count - maxTerms)
            }
            weighted.sort { $0.0 < $1.0 }
            let norm = weighted.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot()
            let start = Int32(terms.count)
            for (term, weight) in weighted where norm > 0 {
                terms.append(term)
                weights.append(Float(weight / norm))
            }
            spans.append(start..<Int32(terms.count))
        }
        (self.spans, self.terms, self.weights) = (spans, terms, weights)
    }

    /// The cosine of texts `a` and `b` (0 when either has none).
    public func cosine(_ a: Int, _ b: Int) -> Double {
        let (x, y) = (spans[a], spans[b])
        guard !x.isEmpty, !y.isEmpty else { return 0 }
        return terms.withUnsafeBufferPointer { terms in
            weights.withUnsafeBufferPointer { weights in
                var i = Int(x.lowerBound), j = Int(y.lowerBound)
                let (iEnd, jEnd) = (Int(x.upperBound), Int(y.upperBound))
                var sum: Float = 0
                while i < iEnd, j < jEnd {
                    if terms[i] == terms[j] {
                        sum += weights[i] * weights[j]
                        i += 1
                        j += 1
                    } else if terms[i] < terms[j] {
                        i += 1
                    } else {
                        j += 1
                    }
                }
                return min(1, Double(sum))
            }
        }
    }

    /// The hashed terms of `text` with their counts.
    static func termCounts(_ text: String) -> [UInt32: Int] {
        var counts: [UInt32: Int] = [:]
        for term in terms(of: text) { counts[UInt32(truncatingIfNeeded: StableHash.hash(term)), default: 0] += 1 }
        return counts
    }

    /// Words and adjacent word pairs; in ideograph runs, adjacent character pairs.
    public static func terms(of text: String) -> [String] {
        var terms: [String] = []
        var word = "", previousWord: String?, previousIdeograph: Character?, ideographRun = 0
        func endWord() {
            guard !word.isEmpty else { return }
            terms.append(word)
            if let previousWord { terms.append(previousWord + " " + word) }
            previousWord = word
            word = ""
        }
        func endIdeographs() {
            if ideographRun == 1, let previousIdeograph { terms.append(String(previousIdeograph)) }
            (previousIdeograph, ideographRun) = (nil, 0)
        }
        for character in text.lowercased() {
            if character.unicodeScalars.first?.properties.isIdeographic ?? false {
                endWord()
                previousWord = nil
                if let previousIdeograph { terms.append(String([previousIdeograph, character])) }
                previousIdeograph = character
                ideographRun += 1
            } else if character.isLetter || character.isNumber {
                endIdeographs()
                word.append(character)
            } else {
                endWord()
                endIdeographs()
            }
        }
        endWord()
        endIdeographs()
        return terms
    }
}
