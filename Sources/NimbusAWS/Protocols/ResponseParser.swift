import Foundation
public import NimbusCore

/// An HTTP response as the parsers see it.
public struct RawResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }
}

/// Reads responses and errors of any of the five protocols into JSON, following the operation's output shape
/// (botocore's `parsers.py` rules).
public struct ResponseParser: Sendable {
    /// How timestamps and blobs appear in parsed output.
    public struct Options: Sendable {
        /// Timestamps as ISO 8601 text (default) or as epoch seconds.
        public var timestampsAsEpochSeconds = false
        /// Blobs as base64 text (default) or as the UTF-8 text of their bytes.
        public var blobsAsText = false

        public init(timestampsAsEpochSeconds: Bool = false, blobsAsText: Bool = false) {
            self.timestampsAsEpochSeconds = timestampsAsEpochSeconds
            self.blobsAsText = blobsAsText
        }
    }

    public let model: ServiceModel
    public let operation: OperationModel
    public let options: Options

    public init(model: ServiceModel, operation: OperationModel, options: Options = Options()) {
        self.model = model
        self.operation = operation
        self.options = options
    }

    /// Whether the response is an error.
    public static func isError(_ response: RawResponse) -> Bool { response.status >= 300 }

    /// Parses a successful response.
    public func parse(_ response: RawResponse) throws(AWSModelError) -> JSONValue {
        guard let output = operation.output else { return .object([:]) }
        switch model.wireProtocol {
        case .query, .ec2:
            guard !response.body.isEmpty else { return .object([:]) }
            guard let root = XMLElement.parse(response.body) else { throw invalid("the body is not XML") }
            var node = root
            if let wrapper = operation.resultWrapper {
                guard let found = root.child(wrapper) else { return .object([:]) }
                node = found
            } else if model.wireProtocol == .query, let found = root.child(operation.name + "Result") {
                // Query responses wrap the result in <OperationResult> even when the model does not say so.
                node = found
            }
            return xmlValue(node, ref: output) ?? .object([:])
        case .json:
            guard !response.body.isEmpty else { return .object([:]) }
            let json = try parseJSON(response.body)
            return jsonValue(json, ref: output) ?? .object([:])
        case .restJSON, .restXML:
            return try parseREST(response, output: output)
        }
    }

    private func invalid(_ detail: String) -> AWSModelError {
        .invalidResponse(service: model.name, operation: operation.name, detail: detail)
    }

    private func parseJSON(_ body: [UInt8]) throws(AWSModelError) -> OrderedJSON {
        do { return try OrderedJSON(parsing: body) } catch { throw invalid("the body is not JSON (\(error.message))") }
    }

    // MARK: REST

    /// A union the service answered with a member this model does not know (a newer API): named, as botocore does,
    /// so the answer is not silently empty.
    static func unknownUnionMember(_ name: String) -> [String: JSONValue] {
        ["SDK_UNKNOWN_MEMBER": ["name": .string(name)]]
    }

    /// The members bound to the HTTP response rather than its body: headers, header maps, the status code.
    private func httpBoundMembers(of shape: Shape, in response: RawResponse) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for member in shape.members {
            let ref = member.ref
            let name = ref.locationName ?? member.name
            switch ref.location {
            case "header":
                if let text = response.header(name), let value = headerValue(text, ref: ref) {
                    result[member.name] = value
                }
            case "headers":
                var map: [String: JSONValue] = [:]
                let prefix = (ref.locationName ?? "").lowercased()
                for header in response.headers where header.name.lowercased().hasPrefix(prefix) {
                    map[String(header.name.dropFirst(prefix.count))] = .string(header.value)
                }
                result[member.name] = .object(map)
            case "statusCode":
                result[member.name] = .int(response.status)
            default:
                break
            }
        }
        return result
    }

    private func parseREST(_ response: RawResponse, output: ShapeRef) throws(AWSModelError) -> JSONValue {
        let shape = output.shape
        var result = httpBoundMembers(of: shape, in: response)
        let bodyMembers = shape.members.contains {
            !["header", "headers", "statusCode"].contains($0.ref.location ?? "")
        }
        if let payloadName = shape.payload, let payload = shape.member(named: payloadName) {
            switch payload.ref.type {
            case .blob:
                if !response.body.isEmpty || payload.ref.streaming { result[payloadName] = blob(response.body) }
            case .string:
                if !response.body.isEmpty {
                    result[payloadName] = .string(String(decoding: response.body, as: UTF8.self))
                }
            default:
                guard !response.body.isEmpty else { break }
                if model.wireProtocol == .restXML {
                    guard let root = XMLElement.parse(response.body) else { throw invalid("the body is not XML") }
                    result[payloadName] = xmlValue(root, ref: payload.ref)
                } else {
                    result[payloadName] = jsonValue(try parseJSON(response.body), ref: payload.ref)
                }
            }
        } else if bodyMembers, !response.body.isEmpty {
            let parsed: JSONValue?
            if model.wireProtocol == .restXML {
                guard let root = XMLElement.parse(response.body) else { throw invalid("the body is not XML") }
                parsed = xmlValue(root, ref: output, bodyOnly: true)
            } else {
                parsed = jsonValue(try parseJSON(response.body), ref: output, bodyOnly: true)
            }
            for (key, value) in parsed?.objectValue ?? [:] { result[key] = value }
        }
        return .object(result)
    }

    private func headerValue(_ text: String, ref: ShapeRef) -> JSONValue? {
        if ref.jsonValue {
            guard let data = Data(base64Encoded: text), let json = try? OrderedJSON(parsing: [UInt8](data)) else {
                return .string(text)
            }
            return json.jsonValue
        }
        switch ref.type {
        case .list:
            guard let memberRef = ref.shape.member else { return nil }
            return .array(
                splitHeaderList(text, timestamps: memberRef.type == .timestamp).compactMap {
                    scalar($0, ref: memberRef, defaultTimestamp: "rfc822")
                })
        default:
            return scalar(text, ref: ref, defaultTimestamp: "rfc822")
        }
    }

    /// Splits `a, "b,c", d`; HTTP dates contain commas, so timestamp lists split after every second comma.
    private func splitHeaderList(_ text: String, timestamps: Bool) -> [String] {
        if timestamps {
            let pieces = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            var result: [String] = []
            var index = 0
            while index < pieces.count {
                if index + 1 < pieces.count, Int(pieces[index]) == nil, pieces[index].count <= 3 {
                    result.append(pieces[index] + ", " + pieces[index + 1])
                    index += 2
                } else {
                    result.append(pieces[index])
                    index += 1
                }
            }
            return result
        }
        var result: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        var wasQuoted = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            switch character {
            case "\\" where quoted: escaped = true
            case "\"":
                quoted.toggle()
                wasQuoted = true
            case "," where !quoted:
                result.append(wasQuoted ? current : current.trimmingCharacters(in: .whitespaces))
                current = ""
                wasQuoted = false
            default:
                if !(current.isEmpty && character == " " && !quoted) { current.append(character) }
            }
        }
        result.append(wasQuoted ? current : current.trimmingCharacters(in: .whitespaces))
        return result
    }

    // MARK: Scalars

    private func scalar(_ text: String, ref: ShapeRef, defaultTimestamp: String) -> JSONValue? {
        switch ref.type {
        case .string: return .string(text)
        case .integer, .long, .byte, .short, .biginteger:
            return Int(text.trimmingCharacters(in: .whitespaces)).map(JSONValue.int) ?? .string(text)
        case .float, .double, .bigdecimal:
            return double(text)
        case .boolean:
            return .bool(text.trimmingCharacters(in: .whitespaces).lowercased() == "true")
        case .timestamp:
            return Timestamps.parse(text).map(timestamp) ?? .string(text)
        case .blob:
            guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                return .string(text)
            }
            return blob([UInt8](data))
        default:
            return .string(text)
        }
    }

    private func double(_ text: String) -> JSONValue {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch trimmed {
        case "NaN", "Infinity", "-Infinity": return .string(trimmed)
        default: return Double(trimmed).map(JSONValue.double) ?? .string(text)
        }
    }

    func timestamp(_ seconds: Double) -> JSONValue {
        if options.timestampsAsEpochSeconds {
            return seconds == seconds.rounded() ? .int(Int(seconds)) : .double(seconds)
        }
        return .string(Timestamps.iso8601(seconds))
    }

    func blob(_ bytes: [UInt8]) -> JSONValue {
        options.blobsAsText
            ? .string(String(decoding: bytes, as: UTF8.self)) : .string(Data(bytes).base64EncodedString())
    }

    // MARK: XML

    /// The value of `node` read as `ref`'s shape. With `bodyOnly`, members bound to headers are left out.
    func xmlValue(_ node: XMLElement, ref: ShapeRef, bodyOnly: Bool = false) -> JSONValue? {
        let shape = ref.shape
        switch shape.type {
        case .structure:
            var result: [String: JSONValue] = [:]
            for member in shape.members {
                let memberRef = member.ref
                if bodyOnly, ResponseParser.isOutsideBody(memberRef) { continue }
                if memberRef.isXMLAttribute {
                    if let text = node.attribute(memberRef.locationName ?? member.name) {
                        result[member.name] = scalar(text, ref: memberRef, defaultTimestamp: "iso8601")
                    }
                    continue
                }
                let name = xmlMemberName(memberRef, default: member.name)
                if memberRef.type == .list, memberRef.flattened {
                    let elements = node.children(name)
                    if !elements.isEmpty, let listMember = memberRef.shape.member {
                        result[member.name] = .array(elements.compactMap { xmlValue($0, ref: listMember) })
                    }
                } else if memberRef.type == .map, memberRef.flattened {
                    let entries = node.children(name)
                    if !entries.isEmpty { result[member.name] = xmlMap(entries, ref: memberRef) }
                } else if let child = node.child(name) {
                    if let value = xmlValue(child, ref: memberRef) { result[member.name] = value }
                }
            }
            if shape.isUnion, result.isEmpty,
                let unknown = node.children.first(where: { child in
                    !shape.members.contains { xmlMemberName($0.ref, default: $0.name) == child.name }
                })
            {
                result = ResponseParser.unknownUnionMember(unknown.name)
            }
            return .object(result)
        case .list:
            guard let memberRef = shape.member else { return nil }
            let elementName = memberRef.locationName ?? "member"
            return .array(node.children(elementName).compactMap { xmlValue($0, ref: memberRef) })
        case .map:
            return xmlMap(node.children("entry"), ref: ref)
        default:
            return scalar(node.text, ref: ref, defaultTimestamp: "iso8601")
        }
    }

    private func xmlMemberName(_ ref: ShapeRef, default name: String) -> String {
        if ref.type == .list, ref.flattened, let memberName = ref.shape.member?.locationName { return memberName }
        return ref.locationName ?? name
    }

    private func xmlMap(_ entries: [XMLElement], ref: ShapeRef) -> JSONValue? {
        guard let keyRef = ref.shape.key, let valueRef = ref.shape.value else { return nil }
        let keyName = keyRef.locationName ?? "key"
        let valueName = valueRef.locationName ?? "value"
        var result: [String: JSONValue] = [:]
        for entry in entries {
            guard let key = entry.child(keyName)?.text else { continue }
            if let valueNode = entry.child(valueName) {
                result[key] = xmlValue(valueNode, ref: valueRef)
            }
        }
        return .object(result)
    }

    // MARK: JSON

    /// The value of `json` read as `ref`'s shape. With `bodyOnly`, members bound to headers are left out.
    func jsonValue(_ json: OrderedJSON, ref: ShapeRef, bodyOnly: Bool = false) -> JSONValue? {
        if json.isNull { return nil }
        let shape = ref.shape
        if shape.isDocument { return json.jsonValue }
        switch shape.type {
        case .structure:
            guard let members = json.members else { return nil }
            var result: [String: JSONValue] = [:]
            var byName: [String: OrderedJSON] = [:]
            for (key, value) in members { byName[key] = value }
            for member in shape.members {
                if bodyOnly, ResponseParser.isOutsideBody(member.ref) { continue }
                let name = member.ref.locationName ?? member.name
                if let value = byName[name], let parsed = jsonValue(value, ref: member.ref) {
                    result[member.name] = parsed
                }
            }
            if shape.isUnion, result.isEmpty, let unknown = members.first(where: { shape.member(named: $0.0) == nil }) {
                result = ResponseParser.unknownUnionMember(unknown.0)
            }
            return .object(result)
        case .list:
            guard let memberRef = shape.member, let elements = json.arrayValue else { return nil }
            return .array(elements.map { jsonValue($0, ref: memberRef) ?? .null })
        case .map:
            guard let valueRef = shape.value, let members = json.members else { return nil }
            var result: [String: JSONValue] = [:]
            for (key, value) in members { result[key] = jsonValue(value, ref: valueRef) ?? .null }
            return .object(result)
        case .timestamp:
            if let seconds = Timestamps.seconds(from: json) { return timestamp(seconds) }
            return json.jsonValue
        case .blob:
            if let text = json.stringValue { return scalar(text, ref: ref, defaultTimestamp: "unixTimestamp") }
            return nil
        case .float, .double, .bigdecimal:
            if case .string(let text) = json { return double(text) }
            if case .number(let text) = json { return Double(text).map(JSONValue.double) }
            return json.jsonValue
        case .integer, .long, .byte, .short, .biginteger:
            if case .number(let text) = json { return Int(text).map(JSONValue.int) ?? json.jsonValue }
            return json.jsonValue
        default:
            return json.jsonValue
        }
    }

    // MARK: Errors

    /// Reads an error response into an ``AWSError`` with the code, message, request id and modelled fields.
    public func parseError(_ response: RawResponse) -> AWSError {
        var code = ""
        var message = ""
        var requestID =
            response.header("x-amzn-RequestId") ?? response.header("x-amz-request-id")
            ?? response.header("x-amzn-requestid")
        var details: [String: JSONValue] = [:]
        var errorShape: Shape?

        switch model.wireProtocol {
        case .json, .restJSON:
            let json = (try? OrderedJSON(parsing: response.body)) ?? .object([])
            if let header = response.header("x-amzn-ErrorType"), !header.isEmpty {
                code = header
            } else if let type = json["__type"]?.stringValue ?? json["code"]?.stringValue ?? json["Code"]?.stringValue {
                code = type
            }
            code = ResponseParser.sanitizeCode(code)
            if model.queryCompatible, let queryError = response.header("x-amzn-query-error"),
                let first = queryError.split(separator: ";").first
            {
                code = String(first)
            }
            message =
                json["message"]?.stringValue ?? json["Message"]?.stringValue ?? json["errorMessage"]?.stringValue ?? ""
            errorShape = shape(forCode: code)
            if let errorShape {
                let ref = ShapeRef(
                    shape: errorShape, location: nil, locationName: nil, queryName: nil, isXMLAttribute: false,
                    refXMLNamespace: nil, refFlattened: false, jsonValue: false, refTimestampFormat: nil,
                    hostLabel: false, idempotencyToken: false, eventPayload: false, refStreaming: false)
                if let parsed = jsonValue(json, ref: ref, bodyOnly: true)?.objectValue { details = parsed }
                details.merge(httpBoundMembers(of: errorShape, in: response)) { _, bound in bound }
            }
        case .query, .ec2, .restXML:
            if let root = XMLElement.parse(response.body) {
                let error = root.find("Error") ?? root
                code = error.child("Code")?.text ?? ""
                message = error.child("Message")?.text ?? error.child("message")?.text ?? ""
                if requestID == nil {
                    requestID =
                        root.find("RequestId")?.text ?? root.find("RequestID")?.text ?? root.find("requestId")?.text
                }
                errorShape = shape(forCode: code)
                if let errorShape {
                    let ref = ShapeRef(
                        shape: errorShape, location: nil, locationName: nil, queryName: nil, isXMLAttribute: false,
                        refXMLNamespace: nil, refFlattened: false, jsonValue: false, refTimestampFormat: nil,
                        hostLabel: false, idempotencyToken: false, eventPayload: false, refStreaming: false)
                    if let parsed = xmlValue(error, ref: ref, bodyOnly: true)?.objectValue { details = parsed }
                    if model.wireProtocol == .restXML {
                        details.merge(httpBoundMembers(of: errorShape, in: response)) { _, bound in bound }
                    }
                }
            }
        }
        if code.isEmpty {
            // HEAD requests and some S3 errors have no body: name the status.
            code = ResponseParser.codeForStatus(response.status)
        }
        return AWSError(
            service: model.name, operation: operation.name, code: code, message: message, statusCode: response.status,
            requestID: requestID, details: .object(details))
    }

    private func shape(forCode code: String) -> Shape? {
        if let shape = model.shapes[code], shape.isException { return shape }
        for candidate in operation.errors where candidate.errorCode == code || candidate.name == code {
            return candidate
        }
        return model.shapes.values.first { $0.isException && $0.errorCode == code }
    }

    /// Members a response carries in headers or the status line; every other member is in the body, even one
    /// bound to the URI or query string when the shape is also used for input.
    static func isOutsideBody(_ ref: ShapeRef) -> Bool {
        ref.location == "header" || ref.location == "headers" || ref.location == "statusCode"
    }

    /// `aws.protocoltests#FooError:http://…` → `FooError`.
    static func sanitizeCode(_ code: String) -> String {
        var result = Substring(code)
        if let colon = result.firstIndex(of: ":") { result = result[..<colon] }
        if let hash = result.lastIndex(of: "#") { result = result[result.index(after: hash)...] }
        return String(result).trimmingCharacters(in: .whitespaces)
    }

    static func codeForStatus(_ status: Int) -> String {
        switch status {
        case 301: "PermanentRedirect"
        case 304: "NotModified"
        case 400: "BadRequest"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 412: "PreconditionFailed"
        case 429: "TooManyRequests"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        default: "HTTP\(status)"
        }
    }
}
