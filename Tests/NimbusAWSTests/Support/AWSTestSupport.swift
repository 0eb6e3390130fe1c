import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NimbusAWS
import NimbusCore
import NimbusTesting
import Synchronization

/// A client for the shared moto server, isolated from the user's ~/.aws and environment.
func motoClient(_ moto: MotoServer, extra: [String: String] = [:]) throws -> AWSClient {
    try moto.client(extra: extra)
}

/// A name no other test (or earlier run against the same server) uses.
func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UInt32.random(in: 0...UInt32.max))-\(Int(Date().timeIntervalSince1970) % 100000)"
}

/// A temporary directory removed at the end of the test.
final class TemporaryDirectory: Sendable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-aws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// A tiny HTTP server on a loopback port for the protocols Nimbus talks to besides AWS proper (IMDSv2, the ECS
/// credential endpoint) and for scripted failures (throttling, clock skew).
final class ScriptedHTTPServer: Sendable {
    struct Request: Sendable {
        let method: String
        let uri: String
        let headers: [(String, String)]
        let body: [UInt8]
    }
    struct Response: Sendable {
        var status: Int = 200
        var headers: [(String, String)] = []
        var body: String = ""
    }

    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }
    var url: String { "http://127.0.0.1:\(port)" }

    init(_ handler: @escaping @Sendable (Request) -> Response) async throws {
        let box = RequestsBox()
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(handler: handler, box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        boxRef = box
    }
    private let boxRef: RequestsBox?

    var recorded: [Request] { boxRef?.requests.withLock { $0 } ?? [] }

    func stop() async { try? await channel.close() }

    final class RequestsBox: Sendable {
        let requests = Mutex<[Request]>([])
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let handler: @Sendable (Request) -> Response
        let box: RequestsBox
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(handler: @escaping @Sendable (Request) -> Response, box: RequestsBox) {
            self.handler = handler
            self.box = box
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let value):
                head = value
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                let request = Request(
                    method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                    body: body)
                box.requests.withLock { $0.append(request) }
                let response = handler(request)
                var headers = HTTPHeaders(response.headers)
                headers.replaceOrAdd(name: "Content-Length", value: String(response.body.utf8.count))
                context.write(
                    wrapOutboundOut(
                        .head(
                            HTTPResponseHead(
                                version: .http1_1, status: .init(statusCode: response.status), headers: headers))),
                    promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
