import Foundation
import NimbusLLM
import Testing

@Suite("Streaming formats: SSE, NDJSON, AWS event stream")
struct StreamingFormatTests {
    /// Feeds `bytes` to the parser in pieces of `size`, as a network would.
    static func events(_ text: String, chunk size: Int) -> [SSEEvent] {
        var parser = SSEParser()
        let bytes = Array(text.utf8)
        var events: [SSEEvent] = []
        for start in stride(from: 0, to: bytes.count, by: size) {
            events += parser.parse(Array(bytes[start..<min(start + size, bytes.count)]))
        }
        return events + parser.finish()
    }

    @Test("SSE events survive any chunking, with LF, CRLF and CR line ends", arguments: [1, 2, 3, 7, 64, 100_000])
    func sseChunking(size: Int) {
        let text =
            ": keep-alive comment\r\nevent: message_start\r\ndata: {\"a\":1}\r\n\r\n"
            + "data: first line\rdata: second line\r\rid: 7\nevent: custom\ndata:no space\nunknown: field\n\n"
            + "data: [DONE]\n\n"
        let events = Self.events(text, chunk: size)
        #expect(
            events == [
                SSEEvent(event: "message_start", data: "{\"a\":1}"),
                SSEEvent(data: "first line\nsecond line"),
                SSEEvent(event: "custom", data: "no space", id: "7"),
                SSEEvent(data: "[DONE]", id: "7"),
            ])
    }

    @Test("a CR at the end of one chunk and LF at the start of the next make one line end")
    func splitCRLF() {
        var parser = SSEParser()
        #expect(parser.parse(Array("data: a\r".utf8)).isEmpty)
        #expect(parser.parse(Array("\n\r".utf8)) == [SSEEvent(data: "a")])
        #expect(parser.parse(Array("\ndata: b\n\n".utf8)) == [SSEEvent(data: "b")])
    }

    @Test("an event without its blank line is still delivered when the stream ends")
    func unterminatedEvent() {
        #expect(Self.events("data: last", chunk: 4) == [SSEEvent(data: "last")])
    }

    @Test("NDJSON lines are split whatever the chunking; blank lines are skipped")
    func ndjson() {
        let text = "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}"
        for size in [1, 3, 100] {
            var splitter = NDJSONSplitter()
            let bytes = Array(text.utf8)
            var lines: [String] = []
            for start in stride(from: 0, to: bytes.count, by: size) {
                lines += splitter.split(Array(bytes[start..<min(start + size, bytes.count)])).map {
                    String(decoding: $0, as: UTF8.self)
                }
            }
            lines += splitter.finish().map { String(decoding: $0, as: UTF8.self) }
            #expect(lines == ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"])
        }
    }

    @Test("CRC-32 gives the standard check value")
    func crc32() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test("the ConverseStream transcript decodes, whole and byte by byte", arguments: [1, 5, 100_000])
    func eventStreamTranscript(size: Int) throws {
        let bytes = try Transcript.bytes("bedrock/converse-stream-tool-use.eventstream")
        var decoder = AWSEventStreamDecoder()
        var messages: [AWSEventStreamMessage] = []
        for start in stride(from: 0, to: bytes.count, by: size) {
            messages += try decoder.decode(Array(bytes[start..<min(start + size, bytes.count)]))
        }
        try decoder.finish()
        #expect(
            messages.map { $0.header(":event-type") } == [
                "messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "contentBlockStart",
                "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata",
            ])
        #expect(messages.allSatisfy { $0.header(":message-type") == "event" })
        #expect(String(decoding: messages[1].payload, as: UTF8.self).contains("\"I'll list\""))
    }

    @Test("our encoder's frames are byte-identical to the independently written transcript")
    func encoderMatchesTranscript() throws {
        let bytes = try Transcript.bytes("bedrock/converse-stream-tool-use.eventstream")
        var decoder = AWSEventStreamDecoder()
        let messages = try decoder.decode(bytes)
        #expect(messages.flatMap { $0.encoded() } == bytes)
    }

    @Test("a flipped bit fails the prelude or message checksum, naming it")
    func corruptChecksums() throws {
        var bytes = try Transcript.bytes("bedrock/converse-stream-tool-use.eventstream")
        var prelude = bytes
        prelude[2] ^= 0x01
        var decoder = AWSEventStreamDecoder()
        #expect { _ = try decoder.decode(prelude) } throws: { "\($0)".contains("prelude checksum") }
        bytes[20] ^= 0x01
        var second = AWSEventStreamDecoder()
        #expect { _ = try second.decode(bytes) } throws: { "\($0)".contains("message checksum") }
    }

    @Test("a stream that stops inside a message is reported")
    func truncated() throws {
        let bytes = try Transcript.bytes("bedrock/converse-stream-tool-use.eventstream")
        var decoder = AWSEventStreamDecoder()
        _ = try decoder.decode(Array(bytes.dropLast(3)))
        #expect { try decoder.finish() } throws: { "\($0)".contains("ended inside a message") }
    }

    @Test("header types round-trip through the encoder and decoder")
    func headerTypes() throws {
        let message = AWSEventStreamMessage(
            headers: [
                ("t", .bool(true)), ("f", .bool(false)), ("b", .byte(-3)), ("s", .short(-300)), ("i", .integer(70000)),
                ("l", .long(-5_000_000_000)), ("x", .bytes([1, 2, 3])), ("str", .string("héllo")),
                ("ts", .timestamp(1_700_000_000_000)), ("u", .uuid(Array(0..<16))),
            ], payload: Array("{}".utf8))
        var decoder = AWSEventStreamDecoder()
        #expect(try decoder.decode(message.encoded()) == [message])
    }
}
