import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP proxy on a loopback port that forwards every request to an upstream server (moto) and counts what
/// passed: the independent witness of how many AWS calls a process really made, to hold against what Nimbus's
/// audit log says it made.
public final class RecordingProxy: Sendable {
    /// One request that went through.
    public struct Request: Sendable {
        public let method: String
        public let uri: String
        /// `X-Amz-Target` (JSON protocols) or the query's `Action`, when there is one.
        public let target: String?
    }

    let channel: any Channel
    let box: Box
    public let upstream: URL

    /// The proxy's URL, to use as `AWS_ENDPOINT_URL`.
    public var url: URL { URL(string: "http://127.0.0.1:\(channel.localAddress?.port ?? 0)")! }

    /// Every request forwarded so far, in order.
    public var requests: [Request] { box.requests.withLock { $0 } }

    public static func start(upstream: URL) async throws -> RecordingProxy {
        let box = Box()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Forwarder(upstream: upstream, box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RecordingProxy(channel: channel, box: box, upstream: upstream)
    }

    init(channel: any Channel, box: Box, upstream: URL) {
        self.channel = channel
        self.box = box
        self.upstream = upstream
    }

    public func stop() async { try? await channel.close() }

    final class Box: Sendable {
        let requests = Mutex<[Request]>([])
    }

    final class Forwarder: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: the handler's fields are touched only on its channel's event loop.
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let upstream: URL
        let box: Box
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(upstream: URL, box: Box) {
            self.upstream = upstream
            self.box = box
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let value):
                head = value
                body.clear()
            case .body(var buffer):
                body.writeBuffer(&buffer)
            case .end:
                guard let head else { return }
                let query = URLComponents(string: head.uri)?.queryItems?.first { $0.name == "Action" }?.value
                box.requests.withLock {
                    $0.append(
                        Request(
                            method: head.method.rawValue, uri: head.uri,
                            target: head.headers.first(name: "X-Amz-Target") ?? query))
                }
                var request = HTTPClientRequest(url: upstream.absoluteString + head.uri)
                request.method = head.method
                for (name, value) in head.headers where name.lowercased() != "host" {
                    request.headers.add(name: name, value: value)
                }
                request.body = .bytes(body)
                let forwarded = request
                let loop = context.eventLoop
                let bound = NIOLoopBound(context, eventLoop: loop)
                let handler = NIOLoopBound(self, eventLoop: loop)
                loop.makeFutureWithTask {
                    let response = try await HTTPClient.shared.execute(forwarded, timeout: .seconds(120))
                    let bytes = try await response.body.collect(upTo: 1 << 30)
                    return (response.status, response.headers, bytes)
                }.whenComplete { result in
                    let context = bound.value
                    switch result {
                    case .success(let (status, headers, bytes)):
                        handler.value.respond(context, status: status, headers: headers, body: bytes)
                    case .failure(let error):
                        handler.value.respond(
                            context, status: .badGateway, headers: [:], body: ByteBuffer(string: "\(error)"))
                    }
                }
            }
        }

        func respond(
            _ context: ChannelHandlerContext, status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer
        ) {
            var headers = headers
            headers.remove(name: "Transfer-Encoding")
            headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
