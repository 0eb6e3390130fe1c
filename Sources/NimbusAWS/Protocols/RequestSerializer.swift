import Foundation

/// An HTTP request before it is addressed and signed: what the protocol serialiser made of the parameters.
public struct SerializedRequest: Sendable {
    public var method: String
    /// The path, percent-encoded as it goes on the wire.
    public var path: String
    /// Query parameters, not encoded.
    public var query: [(name: String, value: String)]
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// A host prefix from the operation's endpoint trait (`data-`, `{AccountId}.`), already filled in.
    public var hostPrefix: String?

    /// The query string as it goes on the wire, without `?`.
    public var encodedQuery: String {
        query.map { uriEncode($0.name) + "=" + uriEncode($0.value) }.joined(separator: "&")
    }

    /// The value of the first header named `name`, in any case.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }
}

/// Turns an operation's parameters into an HTTP request, for any of the five AWS protocols, following the
/// operation's input shape (botocore's `serialize.py` rules).
public struct RequestSerializer: Sendable {
    public let model: ServiceModel
    public let operation: OperationModel

    public init(model: ServiceModel, operation: OperationModel) {
        self.model = model
        self.operation = operation
    }

    /// Serialises `parameters` (an object keyed by member names).
    public func serialize(_ parameters: OrderedJSON) throws(AWSModelError) -> SerializedRequest {
        var request = SerializedRequest(
            method: operation.method, path: "/", query: [], headers: [], body: [], hostPrefix: nil)
        let parameters = fillIdempotencyTokens(parameters)
        switch model.wireProtocol {
        case .query, .ec2:
            serializeQueryProtocol(parameters, into: &request, ec2: model.wireProtocol == .ec2)
        case .json:
            serializeJSONProtocol(parameters, into: &request)
        case .restJSON, .restXML:
            try serializeREST(parameters, into: &request)
        }
        request.hostPrefix = hostPrefix(parameters)
        return request
    }

    /// Makes the token for an idempotency-token member the caller left out: a random UUID. Tests set a fixed one
    /// (as botocore's protocol tests patch `uuid4`).
    @TaskLocal public static var makeIdempotencyToken: @Sendable () -> String = { UUID().uuidString.lowercased() }

    private func fillIdempotencyTokens(_ parameters: OrderedJSON) -> OrderedJSON {
        guard let input = operation.input,
            input.shape.members.contains(where: { $0.ref.idempotencyToken }),
            case .object(var members) = parameters.isNull ? .object([]) : parameters
        else { return parameters }
        for member in input.shape.members where member.ref.idempotencyToken {
            if !members.contains(where: { $0.0 == member.name }) {
                members.append((member.name, .string(Self.makeIdempotencyToken())))
            }
        }
        return .object(members)
    }

    private func hostPrefix(_ parameters: OrderedJSON) -> String? {
        guard var prefix = operation.hostPrefix else { return nil }
        for member in operation.input?.shape.members ?? [] where member.ref.hostLabel {
            if let value = parameters[member.name].flatMap(scalarText) {
                prefix = prefix.replacingOccurrences(of: "{\(member.name)}", with: value)
            }
        }
        return prefix
    }

    // MARK: query and ec2

    private func serializeQueryProtocol(_ parameters: OrderedJSON, into request: inout SerializedRequest, ec2: Bool) {
        var pairs: [(String, String)] = [("Action", operation.name), ("Version", model.apiVersion)]
        if let input = operation.input {
            serializeQuery(parameters, ref: input, prefix: "", into: &pairs, ec2: ec2)
        }
        request.method = "POST"
        request.path = "/"
        request.body = Array(pairs.map { uriEncode($0.0) + "=" + uriEncode($0.1) }.joined(separator: "&").utf8)
        request.headers.append(("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"))
    }

    private func queryName(_ ref: ShapeRef, default name: String, ec2: Bool) -> String {
        if ec2 {
            if let queryName = ref.queryName { return queryName }
            if let locationName = ref.locationName, let first = locationName.first {
                return first.uppercased() + locationName.dropFirst()
            }
            return name
        }
        return ref.locationName ?? name
    }

    private func serializeQuery(
        _ value: OrderedJSON, ref: ShapeRef, prefix: String, into pairs: inout [(String, String)], ec2: Bool
    ) {
        if value.isNull { return }
        let shape = ref.shape
        switch shape.type {
        case .structure:
            for (key, memberValue) in value.members ?? [] {
                guard let member = shape.member(named: key), !memberValue.isNull else { continue }
                let name = queryName(member.ref, default: key, ec2: ec2)
                serializeQuery(
                    memberValue, ref: member.ref, prefix: prefix.isEmpty ? name : prefix + "." + name, into: &pairs,
                    ec2: ec2)
            }
        case .list:
            guard let elements = value.arrayValue, let memberRef = shape.member else { return }
            if ec2 {
                for (index, element) in elements.enumerated() {
                    serializeQuery(element, ref: memberRef, prefix: "\(prefix).\(index + 1)", into: &pairs, ec2: ec2)
                }
                return
            }
            if elements.isEmpty {
                pairs.append((prefix, ""))
                return
            }
            var listPrefix: String
            if ref.flattened {
                listPrefix = prefix
                if let name = memberRef.locationName {
                    var components = prefix.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                    components[components.count - 1] = name
                    listPrefix = components.joined(separator: ".")
                }
            } else {
                listPrefix = prefix + "." + (memberRef.locationName ?? "member")
            }
            for (index, element) in elements.enumerated() {
                serializeQuery(element, ref: memberRef, prefix: "\(listPrefix).\(index + 1)", into: &pairs, ec2: ec2)
            }
        case .map:
            guard let entries = value.members, let keyRef = shape.key, let valueRef = shape.value else { return }
            let fullPrefix = ref.flattened ? prefix : prefix + ".entry"
            let keyName = keyRef.locationName ?? "key"
            let valueName = valueRef.locationName ?? "value"
            for (index, (key, entry)) in entries.enumerated() {
                pairs.append(("\(fullPrefix).\(index + 1).\(keyName)", key))
                serializeQuery(
                    entry, ref: valueRef, prefix: "\(fullPrefix).\(index + 1).\(valueName)", into: &pairs, ec2: ec2)
            }
        case .timestamp:
            if let seconds = Timestamps.seconds(from: value) {
                pairs.append((prefix, formatTimestamp(seconds, format: ref.timestampFormat ?? "iso8601")))
            }
        case .blob:
            pairs.append((prefix, base64(value)))
        default:
            if let text = scalarText(value) { pairs.append((prefix, text)) }
        }
    }

    // MARK: json

    private func serializeJSONProtocol(_ parameters: OrderedJSON, into request: inout SerializedRequest) {
        request.method = "POST"
        request.path = "/"
        if let target = model.targetPrefix {
            request.headers.append(("X-Amz-Target", "\(target).\(operation.name)"))
        }
        request.headers.append(("Content-Type", "application/x-amz-json-\(model.jsonVersion)"))
        // Always a JSON document, `{}` at least, even for operations without input.
        var body = OrderedJSON.object([])
        if let input = operation.input, !parameters.isNull { body = jsonValue(parameters, ref: input) ?? .object([]) }
        request.body = Array(body.text.utf8)
    }

    func jsonValue(_ value: OrderedJSON, ref: ShapeRef) -> OrderedJSON? {
        if value.isNull { return nil }
        let shape = ref.shape
        if shape.isDocument { return value }
        switch shape.type {
        case .structure:
            var members: [(String, OrderedJSON)] = []
            for (key, memberValue) in value.members ?? [] {
                guard let member = shape.member(named: key) else { continue }
                if let encoded = jsonValue(memberValue, ref: member.ref) {
                    members.append((member.ref.locationName ?? key, encoded))
                }
            }
            return .object(members)
        case .list:
            guard let memberRef = shape.member else { return nil }
            return .array((value.arrayValue ?? []).map { jsonValue($0, ref: memberRef) ?? .null })
        case .map:
            guard let valueRef = shape.value else { return nil }
            return .object((value.members ?? []).map { ($0.0, jsonValue($0.1, ref: valueRef) ?? .null) })
        case .timestamp:
            guard let seconds = Timestamps.seconds(from: value) else { return nil }
            let format = ref.timestampFormat ?? "unixTimestamp"
            if format == "unixTimestamp" { return .number(Timestamps.epochText(seconds)) }
            return .string(formatTimestamp(seconds, format: format))
        case .blob:
            return .string(base64(value))
        case .boolean:
            if case .string(let text) = value { return .bool(text == "true") }
            return value
        case .float, .double:
            if case .string = value { return value }
            return value
        case .integer, .long, .byte, .short:
            if case .string(let text) = value, Int(text) != nil { return .number(text) }
            return value
        case .string:
            if case .number(let text) = value { return .string(text) }
            if case .bool(let flag) = value { return .string(flag ? "true" : "false") }
            return value
        default:
            return value
        }
    }

    // MARK: rest-json and rest-xml

    private func serializeREST(_ parameters: OrderedJSON, into request: inout SerializedRequest) throws(AWSModelError) {
        let isXML = model.wireProtocol == .restXML
        var labels: [String: (value: OrderedJSON, ref: ShapeRef)] = [:]
        var bodyMembers: [(String, OrderedJSON)] = []
        var explicitQuery: [(name: String, value: String)] = []
        var mapQuery: [(name: String, value: String)] = []
        let input = operation.input
        for (key, value) in parameters.members ?? [] {
            guard let member = input?.shape.member(named: key), !value.isNull else { continue }
            let ref = member.ref
            let name = ref.locationName ?? key
            switch ref.location {
            case "uri":
                labels[name] = (value, ref)
            case "querystring":
                switch ref.type {
                case .list:
                    for element in value.arrayValue ?? [] {
                        if let text = restScalar(element, ref: ref.shape.member!, defaultTimestamp: "iso8601") {
                            explicitQuery.append((name, text))
                        }
                    }
                case .map:
                    for (mapKey, mapValue) in value.members ?? [] {
                        if let elements = mapValue.arrayValue {
                            for element in elements {
                                if let text = scalarText(element) { mapQuery.append((mapKey, text)) }
                            }
                        } else if let text = scalarText(mapValue) {
                            mapQuery.append((mapKey, text))
                        }
                    }
                default:
                    if let text = restScalar(value, ref: ref, defaultTimestamp: "iso8601") {
                        explicitQuery.append((name, text))
                    }
                }
            case "header":
                if let text = headerText(value, ref: ref) { request.headers.append((name, text)) }
            case "headers":
                for (suffix, headerValue) in value.members ?? [] {
                    if let text = scalarText(headerValue) { request.headers.append((name + suffix, text)) }
                }
            default:
                bodyMembers.append((key, value))
            }
        }

        // The path, with {Label} and greedy {Label+} filled in.
        var uri = operation.requestURI
        var staticQuery = ""
        if let question = uri.firstIndex(of: "?") {
            staticQuery = String(uri[uri.index(after: question)...])
            uri = String(uri[..<question])
        }
        var path = ""
        var rest = Substring(uri)
        while let open = rest.firstIndex(of: "{") {
            path += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            var label = String(rest[rest.index(after: open)..<close])
            let greedy = label.hasSuffix("+")
            if greedy { label.removeLast() }
            if let (value, ref) = labels[label], let text = restScalar(value, ref: ref, defaultTimestamp: "iso8601") {
                path += uriEncode(text, keepSlash: greedy)
            }
            rest = rest[rest.index(after: close)...]
        }
        path += rest
        request.path = path.isEmpty ? "/" : path
        var query: [(name: String, value: String)] = []
        for piece in staticQuery.split(separator: "&") where !piece.isEmpty {
            if let equals = piece.firstIndex(of: "=") {
                query.append((percentDecode(piece[..<equals]), percentDecode(piece[piece.index(after: equals)...])))
            } else {
                query.append((percentDecode(piece), ""))
            }
        }
        query += explicitQuery
        // Map-bound query parameters never override ones bound to members.
        let bound = Set(query.map(\.name))
        for pair in mapQuery where !bound.contains(pair.name) { query.append(pair) }
        request.query = query

        // The body: a payload member, or the remaining members.
        if let input, let payloadName = input.shape.payload, let payload = input.shape.member(named: payloadName) {
            let value = parameters[payloadName]
            switch payload.ref.type {
            case .blob, .string:
                if let value, !value.isNull {
                    request.body = rawBytes(value)
                    let isBlob = payload.ref.type == .blob
                    if !isXML || !isBlob, request.header("Content-Type") == nil {
                        request.headers.append(("Content-Type", isBlob ? "application/octet-stream" : "text/plain"))
                    }
                }
            default:
                if let value, !value.isNull {
                    if isXML {
                        let root = payload.ref.locationName ?? payload.ref.shape.locationName ?? payloadName
                        request.body = Array(xmlDocument(value, ref: payload.ref, rootName: root).utf8)
                        request.headers.append(("Content-Type", "application/xml"))
                    } else {
                        request.body = Array((jsonValue(value, ref: payload.ref) ?? .object([])).text.utf8)
                        request.headers.append(("Content-Type", "application/json"))
                    }
                } else if !isXML, payload.ref.shape.isDocument == false, payload.ref.type == .structure {
                    request.body = Array("{}".utf8)
                    request.headers.append(("Content-Type", "application/json"))
                }
            }
        } else if let input, !bodyMembers.isEmpty {
            if isXML {
                let root = input.locationName ?? input.shape.locationName ?? input.shape.name
                request.body = Array(xmlDocument(.object(bodyMembers), ref: input, rootName: root).utf8)
                request.headers.append(("Content-Type", "application/xml"))
            } else {
                request.body = Array((jsonValue(.object(bodyMembers), ref: input) ?? .object([])).text.utf8)
                request.headers.append(("Content-Type", "application/json"))
            }
        } else if !isXML, let input,
            input.shape.members.contains(where: { $0.ref.location == nil }), input.shape.payload == nil
        {
            // A JSON operation with body members, none set: an empty object, as AWS expects.
            request.body = Array("{}".utf8)
            request.headers.append(("Content-Type", "application/json"))
        }
    }

    private func headerText(_ value: OrderedJSON, ref: ShapeRef) -> String? {
        if ref.jsonValue {
            let text: String
            if case .string(let raw) = value { text = raw } else { text = value.text }
            return Data(text.utf8).base64EncodedString()
        }
        switch ref.type {
        case .list:
            guard let memberRef = ref.shape.member else { return nil }
            let parts = (value.arrayValue ?? []).compactMap { element -> String? in
                guard let text = restScalar(element, ref: memberRef, defaultTimestamp: "rfc822") else { return nil }
                if memberRef.type == .string, text.contains(",") || text.contains("\"") {
                    return "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\""
                }
                return text
            }
            // An empty list sends no header at all (an empty value would be a list of one empty string).
            return parts.isEmpty ? nil : parts.joined(separator: ", ")
        default:
            return restScalar(value, ref: ref, defaultTimestamp: "rfc822")
        }
    }

    private func restScalar(_ value: OrderedJSON, ref: ShapeRef, defaultTimestamp: String) -> String? {
        switch ref.type {
        case .timestamp:
            guard let seconds = Timestamps.seconds(from: value) else { return nil }
            return formatTimestamp(seconds, format: ref.timestampFormat ?? defaultTimestamp)
        case .blob:
            return base64(value)
        default:
            return scalarText(value)
        }
    }

    // MARK: XML

    func xmlDocument(_ value: OrderedJSON, ref: ShapeRef, rootName: String) -> String {
        var output = ""
        writeXML(value, ref: ref, name: rootName, into: &output)
        return output
    }

    private func namespaceAttribute(_ namespace: XMLNamespace?) -> String {
        guard let namespace else { return "" }
        let name = namespace.prefix.map { "xmlns:\($0)" } ?? "xmlns"
        return " \(name)=\"\(xmlEscape(namespace.uri, attribute: true))\""
    }

    private func writeXML(_ value: OrderedJSON, ref: ShapeRef, name: String, into output: inout String) {
        if value.isNull { return }
        let shape = ref.shape
        switch shape.type {
        case .structure:
            var attributes = namespaceAttribute(ref.xmlNamespace)
            var children = ""
            for (key, memberValue) in value.members ?? [] {
                guard let member = shape.member(named: key), !memberValue.isNull else { continue }
                let memberName = member.ref.locationName ?? key
                if member.ref.isXMLAttribute {
                    attributes += " \(memberName)=\"\(xmlEscape(scalarText(memberValue) ?? "", attribute: true))\""
                    continue
                }
                writeXML(memberValue, ref: member.ref, name: memberName, into: &children)
            }
            output += "<\(name)\(attributes)>\(children)</\(name)>"
        case .list:
            guard let memberRef = shape.member else { return }
            if ref.flattened {
                for element in value.arrayValue ?? [] { writeXML(element, ref: memberRef, name: name, into: &output) }
            } else {
                let elementName = memberRef.locationName ?? "member"
                output += "<\(name)\(namespaceAttribute(ref.xmlNamespace))>"
                for element in value.arrayValue ?? [] {
                    writeXML(element, ref: memberRef, name: elementName, into: &output)
                }
                output += "</\(name)>"
            }
        case .map:
            guard let keyRef = shape.key, let valueRef = shape.value else { return }
            let keyName = keyRef.locationName ?? "key"
            let valueName = valueRef.locationName ?? "value"
            if !ref.flattened { output += "<\(name)\(namespaceAttribute(ref.xmlNamespace))>" }
            for (key, entry) in value.members ?? [] {
                let entryName = ref.flattened ? name : "entry"
                output += "<\(entryName)>"
                writeXML(.string(key), ref: keyRef, name: keyName, into: &output)
                writeXML(entry, ref: valueRef, name: valueName, into: &output)
                output += "</\(entryName)>"
            }
            if !ref.flattened { output += "</\(name)>" }
        default:
            let text: String
            switch shape.type {
            case .timestamp:
                text =
                    Timestamps.seconds(from: value).map {
                        formatTimestamp($0, format: ref.timestampFormat ?? "iso8601")
                    }
                    ?? ""
            case .blob: text = base64(value)
            default: text = scalarText(value) ?? ""
            }
            output += "<\(name)\(namespaceAttribute(ref.xmlNamespace))>\(xmlEscape(text, attribute: false))</\(name)>"
        }
    }

    // MARK: scalars

    /// A scalar parameter as text: strings as they are, numbers as written, booleans as `true`/`false`.
    func scalarText(_ value: OrderedJSON) -> String? {
        switch value {
        case .string(let text): return text
        case .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        default: return nil
        }
    }

    private func rawBytes(_ value: OrderedJSON) -> [UInt8] {
        switch value {
        case .string(let text): return Array(text.utf8)
        default: return Array((scalarText(value) ?? value.text).utf8)
        }
    }

    /// Blob parameters are text whose UTF-8 bytes are the blob; on the wire they are base64.
    private func base64(_ value: OrderedJSON) -> String {
        Data(rawBytes(value)).base64EncodedString()
    }

    func formatTimestamp(_ seconds: Double, format: String) -> String {
        switch format {
        case "rfc822": Timestamps.httpDate(seconds)
        case "unixTimestamp": Timestamps.epochText(seconds)
        default: Timestamps.iso8601(seconds)
        }
    }
}

func xmlEscape(_ text: String, attribute: Bool) -> String {
    guard text.contains(where: { $0 == "&" || $0 == "<" || $0 == ">" || $0 == "\"" || $0 == "\r" || $0 == "\n" })
    else { return text }
    var output = ""
    for character in text {
        switch character {
        case "&": output += "&amp;"
        case "<": output += "&lt;"
        case ">": output += "&gt;"
        case "\"" where attribute: output += "&quot;"
        case "\r": output += "&#xD;"
        case "\n" where attribute: output += "&#xA;"
        default: output.append(character)
        }
    }
    return output
}
