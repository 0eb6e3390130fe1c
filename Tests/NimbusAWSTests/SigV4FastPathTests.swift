import Foundation
import Testing

@testable import NimbusAWS

/// The signer's byte-level fast paths give exactly what the general forms give.
@Suite("SigV4 fast paths")
struct SigV4FastPathTests {
    static let options = [
        SigningOptions(service: "dynamodb", region: "us-east-1"), SigningOptions.s3(region: "us-east-1"),
    ]

    @Test("a canonical path taken as is equals the normalised, encoded one", arguments: options.indices)
    func paths(_ which: Int) {
        let options = Self.options[which]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("/a.-_~%2 é+".unicodeScalars)
        var paths = [
            "/", "/a", "/a/", "//", "/./", "/../", "/a/./b", "/a/../b", "/.", "/..", "/...", "/a.b/c..d/", "a/b", "",
        ]
        for _ in 0..<5_000 {
            let length = Int.random(in: 1...10, using: &generator)
            var path = String.UnicodeScalarView()
            for _ in 0..<length { path.append(alphabet.randomElement(using: &generator)!) }
            paths.append("/" + String(path))
        }
        for path in paths {
            var fast = [UInt8]()
            SigV4Signer.appendCanonicalPath(path, options: options, to: &fast)
            let general = SigV4Signer.canonicalPath(path, options: options)
            #expect(String(decoding: fast, as: UTF8.self) == general, "path \(path)")
        }
    }

    @Test("header names compare case-insensitively without folding other bytes")
    func caseInsensitive() {
        #expect("X-Amz-Date".caseInsensitiveEquals("x-amz-date"))
        #expect(!"x-amz-date".caseInsensitiveEquals("x-amz-datf"))
        #expect(!"a[".caseInsensitiveEquals("a{"), "[ and { differ by the case bit but are not letters")
        #expect(!"host".caseInsensitiveEquals("hosts"))
    }
}
