import Foundation
import NimbusCore

/// S3 listings asked for with `EncodingType=url`, as boto3 asks for them: XML 1.0 cannot carry most control
/// characters, so a key such as `a\u{1}b` would make the whole listing unreadable ("body is not XML"). The keys
/// come back percent-encoded and are decoded here, so callers see them as they are. A caller that asks for an
/// encoding itself gets the answer as S3 sent it.
struct S3KeyEncoding {
    /// The members each listing returns encoded: top-level names, and `List.Member` inside lists.
    static let encodedMembers: [String: (top: [String], nested: [(String, String)])] = [
        "ListObjects": (
            ["Delimiter", "Marker", "NextMarker", "Prefix"], [("Contents", "Key"), ("CommonPrefixes", "Prefix")]
        ),
        "ListObjectsV2": (["Delimiter", "Prefix", "StartAfter"], [("Contents", "Key"), ("CommonPrefixes", "Prefix")]),
        "ListObjectVersions": (
            ["KeyMarker", "NextKeyMarker", "Prefix", "Delimiter"],
            [("Versions", "Key"), ("DeleteMarkers", "Key"), ("CommonPrefixes", "Prefix")]
        ),
        "ListMultipartUploads": (
            ["Delimiter", "KeyMarker", "NextKeyMarker", "Prefix"], [("Uploads", "Key"), ("CommonPrefixes", "Prefix")]
        ),
    ]

    let input: OrderedJSON
    let operation: String

    /// Nil when the call is not an S3 listing or the caller chose an encoding.
    init?(model: ServiceModel, operation: OperationModel, input: OrderedJSON) {
        guard model.name == "s3", Self.encodedMembers[operation.name] != nil, input["EncodingType"] == nil,
            case .object(var members) = input
        else { return nil }
        members.append(("EncodingType", .string("url")))
        self.input = .object(members)
        self.operation = operation.name
    }

    /// The answer with the encoded members decoded.
    func decode(_ output: JSONValue) -> JSONValue {
        guard case .object(var members) = output, let encoded = Self.encodedMembers[operation] else { return output }
        for name in encoded.top {
            if let text = members[name]?.stringValue { members[name] = .string(Self.decode(text)) }
        }
        for (list, member) in encoded.nested {
            guard let elements = members[list]?.arrayValue else { continue }
            members[list] = .array(
                elements.map { element in
                    guard case .object(var fields) = element, let text = fields[member]?.stringValue else {
                        return element
                    }
                    fields[member] = .string(Self.decode(text))
                    return .object(fields)
                })
        }
        members["EncodingType"] = nil
        return .object(members)
    }

    /// Percent-decoding as S3 encodes (`+` is a space, as in a form).
    static func decode(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }
}
