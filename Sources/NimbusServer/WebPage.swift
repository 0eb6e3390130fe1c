import Foundation
import HTTPTypes
import Hummingbird

/// The web page: the files bundled under Resources/Web, read once, served from memory with a strict
/// Content-Security-Policy (nothing but this server's own scripts, styles and connections).
struct WebPage: Sendable {
    private let files: [String: (bytes: [UInt8], type: String)]

    init() {
        var files: [String: (bytes: [UInt8], type: String)] = [:]
        if let folder = Bundle.module.url(forResource: "Web", withExtension: nil),
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        {
            for name in names {
                guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
                    continue
                }
                files[name] = ([UInt8](data), Self.type(of: name))
            }
        }
        self.files = files
    }

    static func type(of name: String) -> String {
        switch name.split(separator: ".").last ?? "" {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }

    func response(for name: String) -> Response {
        guard let file = files[name] else { return .error(ServerError.notFound("/static/\(name)")) }
        return .bytes(
            file.bytes, contentType: file.type,
            headers: [
                .contentSecurityPolicy:
                    "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'",
                .xContentTypeOptions: "nosniff", .cacheControl: "no-cache", .referrerPolicy: "no-referrer",
            ])
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
