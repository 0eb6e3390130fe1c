import AsyncHTTPClient
import Foundation
@_spi(Benchmarks) import NimbusLLM

/// Measures what NimbusLLM adds to a streamed answer: time to first token and total time through
/// `OpenAIChatModel.stream` against a raw async-http-client request with the same body to the same server,
/// interleaved so both see the same machine; then SSE parsing throughput on a large stream generated here.
///
///     llm-bench --url http://127.0.0.1:PORT/v1 [--runs 10] [--max-tokens 60] [--stream-mb 16]
@main
struct LLMBench {
    var url: URL?
    var runs = 10
    var maxTokens = 60
    var streamMegabytes = 16

    static func main() async throws {
        var bench = LLMBench()
        var arguments = CommandLine.arguments.dropFirst()[...]
        while let argument = arguments.popFirst() {
            let value = arguments.popFirst() ?? ""
            switch argument {
            case "--url": bench.url = URL(string: value)
            case "--runs": bench.runs = Int(value) ?? bench.runs
            case "--max-tokens": bench.maxTokens = Int(value) ?? bench.maxTokens
            case "--stream-mb": bench.streamMegabytes = Int(value) ?? bench.streamMegabytes
            default:
                FileHandle.standardError.write(Data("llm-bench: unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
        if let url = bench.url { try await bench.streamingOverhead(url) }
        try bench.parsingThroughput()
    }

    struct Timing {
        var firstToken: Double
        var total: Double
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    var request: ChatRequest {
        ChatRequest(
            messages: [.user("Name three AWS services and say what each does.")], temperature: 0, maxTokens: maxTokens,
            seed: 1)
    }

    func streamingOverhead(_ url: URL) async throws {
        let model = OpenAIChatModel(configuration: .compatible(baseURL: url))
        let client = HTTPClient.shared
        // The body Nimbus sends, sent as-is by the raw client too.
        let body: String =
            #"{"max_tokens":\#(maxTokens),"messages":[{"content":"Name three AWS services and say what each does.","role":"user"}],"model":"default","seed":1,"stream":true,"stream_options":{"include_usage":true},"temperature":0}"#

        func nimbus() async throws -> Timing {
            let start = ContinuousClock.now
            var first: Duration?
            for try await delta in model.stream(request) {
                if first == nil, case .text = delta { first = ContinuousClock.now - start }
            }
            return Timing(firstToken: Self.seconds(first ?? .zero), total: Self.seconds(ContinuousClock.now - start))
        }

        func raw() async throws -> Timing {
            let start = ContinuousClock.now
            var outgoing = HTTPClientRequest(url: url.appendingPathComponent("chat/completions").absoluteString)
            outgoing.method = .POST
            outgoing.headers.add(name: "Content-Type", value: "application/json")
            outgoing.headers.add(name: "Accept", value: "text/event-stream")
            outgoing.body = .bytes(Array(body.utf8))
            let response = try await client.execute(outgoing, timeout: .seconds(120))
            var first: Duration?
            // The first chunk with non-empty content text, found without parsing, as a lower bound. Servers write
            // `"content":"…"` or `"content": "…"`.
            let markers = [Array(#""content":""#.utf8), Array(#""content": ""#.utf8)]
            for try await chunk in response.body {
                guard first == nil else { continue }
                let bytes = chunk.readableBytesView
                for marker in markers {
                    if let range = bytes.firstRange(of: marker), range.upperBound < bytes.endIndex,
                        bytes[range.upperBound] != UInt8(ascii: "\"")
                    {
                        first = ContinuousClock.now - start
                        break
                    }
                }
            }
            return Timing(firstToken: Self.seconds(first ?? .zero), total: Self.seconds(ContinuousClock.now - start))
        }

        // Warm the server's prompt cache and both connection pools.
        _ = try await nimbus()
        _ = try await raw()
        var ours: [Timing] = []
        var theirs: [Timing] = []
        for run in 0..<runs {
            if run % 2 == 0 {
                ours.append(try await nimbus())
                theirs.append(try await raw())
            } else {
                theirs.append(try await raw())
                ours.append(try await nimbus())
            }
        }
        let ttftOurs = Self.median(ours.map(\.firstToken)) * 1000
        let ttftRaw = Self.median(theirs.map(\.firstToken)) * 1000
        let totalOurs = Self.median(ours.map(\.total)) * 1000
        let totalRaw = Self.median(theirs.map(\.total)) * 1000
        print(
            "Streaming through NimbusLLM vs raw async-http-client (\(runs) interleaved runs each, \(maxTokens) tokens, medians)"
        )
        print(
            String(
                format: "  time to first token   nimbus %8.1f ms   raw %8.1f ms   overhead %+6.2f %%", ttftOurs,
                ttftRaw, (ttftOurs / ttftRaw - 1) * 100))
        print(
            String(
                format: "  total                 nimbus %8.1f ms   raw %8.1f ms   overhead %+6.2f %%", totalOurs,
                totalRaw, (totalOurs / totalRaw - 1) * 100))
        let within = abs(totalOurs / totalRaw - 1) <= 0.05 && abs(ttftOurs / ttftRaw - 1) <= 0.05
        print("  target: within 5 % — \(within ? "MET" : "MISSED")")
    }

    func parsingThroughput() throws {
        // A recorded-style stream: one chat.completion.chunk per token, as llama.cpp and OpenAI send them.
        var text = ""
        var index = 0
        let target = streamMegabytes * 1_000_000
        while text.utf8.count < target {
            text +=
                #"data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1721140000,"model":"smollm2","choices":[{"index":0,"delta":{"content":"token\#(index) "},"finish_reason":null}]}"#
            text += "\n\n"
            index += 1
        }
        text +=
            #"data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1721140000,"model":"smollm2","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#
            + "\n\ndata: [DONE]\n\n"
        let bytes = Array(text.utf8)
        // Network-sized pieces that split events anywhere.
        let chunks = stride(from: 0, to: bytes.count, by: 4096).map { Array(bytes[$0..<min($0 + 4096, bytes.count)]) }
        let megabytes = Double(bytes.count) / 1_000_000

        var parser = SSEParser()
        var events = 0
        let sseStart = ContinuousClock.now
        for chunk in chunks { events += parser.parse(chunk).count }
        events += parser.finish().count
        let sseSeconds = Self.seconds(ContinuousClock.now - sseStart)

        let decodeStart = ContinuousClock.now
        let deltas = try OpenAIChatModel.decodeRecordedStream(chunks)
        let decodeSeconds = Self.seconds(ContinuousClock.now - decodeStart)

        print(String(format: "SSE parsing of a %.1f MB stream (%d events, 4 KB chunks)", megabytes, events))
        print(
            String(
                format: "  SSE framing only            %8.1f MB/s  (%.0f events/s)", megabytes / sseSeconds,
                Double(events) / sseSeconds))
        print(
            String(
                format: "  SSE + chunk JSON -> deltas  %8.1f MB/s  (%.0f deltas/s)", megabytes / decodeSeconds,
                Double(deltas) / decodeSeconds))
    }
}
