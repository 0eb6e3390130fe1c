import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A local HTTP server that answers with recorded provider transcripts, in order, and records what it was sent:
/// the real HTTP path (async-http-client, chunked bodies, retries, cancellation) for providers this machine cannot
/// reach.
final class TranscriptServer: Sendable {
    struct Reply: Sendable {
        var status: Int = 200
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        var body: [UInt8] = []
        /// Send the body in pieces of this many bytes, with `pause` between them.
        var chunkSize: Int? = nil
        var pause: Duration = .zero
        /// Never finish the response (for cancellation tests).
        var holdOpen = false
        /// Close the connection after the body instead of finishing the response.
        var abort = false
    }

    struct Received: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    private struct State {
        var replies: [Reply]
        var received: [Received] = []
        var closedConnections = 0
    }

    private let state: Mutex<State>
    private let channel: Mutex<(any Channel)?> = Mutex(nil)
    let port: Int

    private init(replies: [Reply], port: Int, channel: any Channel) {
        self.state = Mutex(State(replies: replies))
        self.port = port
        self.channel.withLock { $0 = channel }
    }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var received: [Received] { state.withLock { $0.received } }
    var closedConnections: Int { state.withLock { $0.closedConnections } }

    static func start(_ replies: [Reply]) async throws -> TranscriptServer {
        let box = Mutex<TranscriptServer?>(nil)
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(server: { box.withLock { $0! } }))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        let server = TranscriptServer(replies: replies, port: channel.localAddress!.port!, channel: channel)
        box.withLock { $0 = server }
        return server
    }

    func stop() async {
        let channel = self.channel.withLock { $0 }
        try? await channel?.close()
    }

    fileprivate func record(_ request: Received) -> Reply {
        state.withLock { state in
            state.received.append(request)
            return state.replies.count > 1 ? state.replies.removeFirst() : state.replies[0]
        }
    }

    fileprivate func connectionClosed() {
        state.withLock { $0.closedConnections += 1 }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let server: () -> TranscriptServer
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(server: @escaping () -> TranscriptServer) {
            self.server = server
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                let reply = server().record(
                    Received(
                        method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                        body: body))
                respond(reply, version: head.version, context: context)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            server().connectionClosed()
            context.fireChannelInactive()
        }

        private func respond(_ reply: Reply, version: HTTPVersion, context: ChannelHandlerContext) {
            var headers = HTTPHeaders(reply.headers)
            if reply.chunkSize == nil && !reply.holdOpen && !reply.abort {
                headers.replaceOrAdd(name: "Content-Length", value: String(reply.body.count))
            }
            let head = HTTPResponseHead(version: version, status: .init(statusCode: reply.status), headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            let size = reply.chunkSize ?? max(1, reply.body.count)
            let pieces: [[UInt8]] = stride(from: 0, to: reply.body.count, by: size).map {
                Array(reply.body[$0..<min($0 + size, reply.body.count)])
            }
            context.flush()
            send(pieces[...], reply: reply, context: context)
        }

        private func send(_ pieces: ArraySlice<[UInt8]>, reply: Reply, context: ChannelHandlerContext) {
            guard let first = pieces.first else {
                if reply.abort {
                    context.close(promise: nil)
                } else if !reply.holdOpen {
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                }
                return
            }
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: first)))), promise: nil)
            let rest = pieces.dropFirst()
            if reply.pause == .zero {
                send(rest, reply: reply, context: context)
            } else {
                let (seconds, attoseconds) = reply.pause.components
                let delay = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
                context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                    self.send(rest, reply: reply, context: context)
                }
            }
        }
    }
}

/// Reads a transcript file.
enum Transcript {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Transcripts")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try bytes(name), as: UTF8.self)
    }
}
