import FunnelData
import NIOCore

/// PostgreSQL's `COPY` text format: tab-separated columns, `\N` for null, and backslash escapes
/// for backslash, tab, newline and carriage return inside values.
enum CopyText {
    static func append(_ e: Event, to buffer: inout ByteBuffer) {
        appendText(e.userID, to: &buffer)
        buffer.writeInteger(UInt8(ascii: "\t"))
        appendText(e.itemID, to: &buffer)
        buffer.writeInteger(UInt8(ascii: "\t"))
        buffer.writeString(e.type.rawValue)
        buffer.writeInteger(UInt8(ascii: "\t"))
        appendNumber(e.timestamp.timeIntervalSince1970, to: &buffer)
        for number in [e.watchedSeconds, e.itemDuration, e.value] {
            buffer.writeInteger(UInt8(ascii: "\t"))
            appendNumber(number, to: &buffer)
        }
        for text in [e.context.device, e.context.city] {
            buffer.writeInteger(UInt8(ascii: "\t"))
            appendText(text, to: &buffer)
        }
        buffer.writeInteger(UInt8(ascii: "\t"))
        if let hour = e.context.hour { buffer.writeString(String(hour)) } else { buffer.writeStaticString("\\N") }
        buffer.writeInteger(UInt8(ascii: "\t"))
        appendText(e.context.experiments, to: &buffer)
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    static func appendNumber(_ value: Double?, to buffer: inout ByteBuffer) {
        // Swift's description of a Double is the shortest text that reads back to the same value.
        if let value { buffer.writeString(value.description) } else { buffer.writeStaticString("\\N") }
    }

    static func appendText(_ text: String?, to buffer: inout ByteBuffer) {
        guard let text else { buffer.writeStaticString("\\N"); return }
        guard text.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
            buffer.writeString(text)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case 0x5C: buffer.writeStaticString("\\\\")
            case 0x09: buffer.writeStaticString("\\t")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }
}
