/// The wire protocols AWS services speak.
public enum AWSProtocol: String, Sendable, CaseIterable {
    case query
    case ec2
    case json
    case restJSON = "rest-json"
    case restXML = "rest-xml"
}

/// The kinds of shape a botocore model has.
public enum ShapeType: String, Sendable {
    case structure, list, map, string, integer, long, float, double, boolean, blob, timestamp, byte, short
    case bigdecimal, biginteger, document, union
}

/// An XML namespace trait: `xmlns` or `xmlns:prefix`.
public struct XMLNamespace: Sendable, Equatable {
    public let uri: String
    public let prefix: String?
}

/// Traits a reference to a shape carries (where a member goes on the wire and under which name).
public struct ShapeRef: @unchecked Sendable {
    // @unchecked: `shape` is a class whose fields are set once while the model is built and never after.
    /// The shape referred to.
    public let shape: Shape
    public let location: String?
    public let locationName: String?
    public let queryName: String?
    public let isXMLAttribute: Bool
    public let refXMLNamespace: XMLNamespace?
    public let refFlattened: Bool
    public let jsonValue: Bool
    public let refTimestampFormat: String?
    public let hostLabel: Bool
    public let idempotencyToken: Bool
    public let eventPayload: Bool
    public let refStreaming: Bool

    /// Flattened when either the reference or the shape says so.
    public var flattened: Bool { refFlattened || shape.flattened }
    public var xmlNamespace: XMLNamespace? { refXMLNamespace ?? shape.xmlNamespace }
    public var timestampFormat: String? { refTimestampFormat ?? shape.timestampFormat }
    public var streaming: Bool { refStreaming || shape.streaming }
    public var type: ShapeType { shape.type }
}

/// A structure member: its name in the parameters and the reference to its shape.
public struct ShapeMember: Sendable {
    public let name: String
    public let ref: ShapeRef
}

/// One shape of a service model. Built once per model and immutable afterwards.
public final class Shape: @unchecked Sendable {
    // @unchecked: the reference fields below are linked while `ServiceModel.init` runs, then never written again.
    public let name: String
    public let type: ShapeType
    public internal(set) var members: [ShapeMember] = []
    public internal(set) var memberIndex: [String: Int] = [:]
    public let required: [String]
    public let payload: String?
    public internal(set) var member: ShapeRef?
    public internal(set) var key: ShapeRef?
    public internal(set) var value: ShapeRef?
    public let flattened: Bool
    public let xmlNamespace: XMLNamespace?
    public let locationName: String?
    public let timestampFormat: String?
    public let isException: Bool
    public let errorCode: String?
    public let errorStatus: Int?
    public let streaming: Bool
    public let eventStream: Bool
    public let isDocument: Bool
    public let isUnion: Bool
    public let isSensitive: Bool
    public let enumValues: [String]?
    public let resultWrapper: String?
    let raw: OrderedJSON

    init(name: String, json: OrderedJSON) throws(AWSModelError) {
        self.name = name
        self.raw = json
        // `character` appears in old models: a one-character string.
        guard let typeName = json["type"]?.stringValue.map({ $0 == "character" ? "string" : $0 }),
            let type = ShapeType(rawValue: typeName)
        else {
            throw .invalidModel("shape '\(name)' has no known type")
        }
        self.type = json["union"]?.boolValue == true ? .structure : type
        self.isUnion = json["union"]?.boolValue == true || type == .union
        required = json["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        payload = json["payload"]?.stringValue
        flattened = json["flattened"]?.boolValue ?? false
        xmlNamespace = Shape.namespace(json["xmlNamespace"])
        locationName = json["locationName"]?.stringValue
        timestampFormat = json["timestampFormat"]?.stringValue
        isException = json["exception"]?.boolValue ?? false
        errorCode = json["error"]?["code"]?.stringValue
        errorStatus = json["error"]?["httpStatusCode"]?.intValue
        streaming = json["streaming"]?.boolValue ?? false
        eventStream = json["eventstream"]?.boolValue ?? false
        isDocument = json["document"]?.boolValue ?? false
        isSensitive = json["sensitive"]?.boolValue ?? false
        enumValues = json["enum"]?.arrayValue?.compactMap(\.stringValue)
        resultWrapper = nil
    }

    static func namespace(_ json: OrderedJSON?) -> XMLNamespace? {
        guard let json else { return nil }
        if let uri = json.stringValue { return XMLNamespace(uri: uri, prefix: nil) }
        guard let uri = json["uri"]?.stringValue else { return nil }
        return XMLNamespace(uri: uri, prefix: json["prefix"]?.stringValue)
    }

    /// The member named `name`.
    public func member(named name: String) -> ShapeMember? {
        memberIndex[name].map { members[$0] }
    }
}

/// An operation of a service: its HTTP binding, input and output shapes and modelled errors.
public struct OperationModel: Sendable {
    public let name: String
    public let method: String
    public let requestURI: String
    public let responseCode: Int?
    public let input: ShapeRef?
    public let output: ShapeRef?
    /// The output's `resultWrapper` (query protocol): the element the result sits in.
    public let resultWrapper: String?
    public let errors: [Shape]
    public let hostPrefix: String?
    public let checksumRequired: Bool
    /// `none` for operations that are not signed (STS AssumeRoleWithWebIdentity), `v4-unsigned-body`, or nil.
    public let authType: String?
    public let deprecated: Bool
}

/// A botocore-format service model (`service-2.json`): metadata, operations and shapes.
public final class ServiceModel: Sendable {
    /// The service's name in Nimbus and botocore (`s3`, `dynamodb`).
    public let name: String
    public let wireProtocol: AWSProtocol
    public let apiVersion: String
    public let endpointPrefix: String
    public let signingName: String
    /// The service id (`S3`, `DynamoDB`), which names `AWS_ENDPOINT_URL_<ID>`.
    public let serviceID: String
    public let targetPrefix: String?
    public let jsonVersion: String
    public let globalEndpoint: String?
    public let xmlNamespace: String?
    public let queryCompatible: Bool
    public let operations: [String: OperationModel]
    public let shapes: [String: Shape]

    /// Reads a model from its JSON.
    public init(name: String, json: OrderedJSON) throws(AWSModelError) {
        self.name = name
        guard let metadata = json["metadata"] else { throw .invalidModel("\(name) has no metadata") }
        var chosen: AWSProtocol?
        for candidate in metadata["protocols"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            if let value = AWSProtocol(rawValue: candidate) {
                chosen = value
                break
            }
        }
        if chosen == nil, let single = metadata["protocol"]?.stringValue { chosen = AWSProtocol(rawValue: single) }
        guard let wireProtocol = chosen else {
            throw .invalidModel("\(name) uses a protocol Nimbus does not speak")
        }
        self.wireProtocol = wireProtocol
        apiVersion = metadata["apiVersion"]?.stringValue ?? ""
        endpointPrefix = metadata["endpointPrefix"]?.stringValue ?? name
        signingName = metadata["signingName"]?.stringValue ?? endpointPrefix
        serviceID = metadata["serviceId"]?.stringValue ?? name
        targetPrefix = metadata["targetPrefix"]?.stringValue
        jsonVersion = metadata["jsonVersion"]?.stringValue ?? "1.0"
        globalEndpoint = metadata["globalEndpoint"]?.stringValue
        xmlNamespace = metadata["xmlNamespace"]?.stringValue
        queryCompatible = metadata["awsQueryCompatible"] != nil

        var shapes: [String: Shape] = [:]
        for (shapeName, shapeJSON) in json["shapes"]?.members ?? [] {
            shapes[shapeName] = try Shape(name: shapeName, json: shapeJSON)
        }
        func ref(_ json: OrderedJSON?, context: String) throws(AWSModelError) -> ShapeRef? {
            guard let json else { return nil }
            guard let target = json["shape"]?.stringValue, let shape = shapes[target] else {
                throw .invalidModel("\(context) refers to an unknown shape")
            }
            // As botocore merges them: a trait on the reference wins, else the target shape's (older models put
            // `location` on the shape).
            // A binding from the shape brings its name with it (`location: headers, locationName: x-foo-`).
            let shapeBinding = json["location"] == nil ? shape.raw["location"]?.stringValue : nil
            return ShapeRef(
                shape: shape, location: json["location"]?.stringValue ?? shapeBinding,
                locationName: json["locationName"]?.stringValue
                    ?? (shapeBinding != nil ? shape.raw["locationName"]?.stringValue : nil),
                queryName: json["queryName"]?.stringValue,
                isXMLAttribute: json["xmlAttribute"]?.boolValue ?? false,
                refXMLNamespace: Shape.namespace(json["xmlNamespace"]),
                refFlattened: json["flattened"]?.boolValue ?? false, jsonValue: json["jsonvalue"]?.boolValue ?? false,
                refTimestampFormat: json["timestampFormat"]?.stringValue,
                hostLabel: json["hostLabel"]?.boolValue ?? false,
                idempotencyToken: json["idempotencyToken"]?.boolValue ?? false,
                eventPayload: json["eventpayload"]?.boolValue ?? false,
                refStreaming: json["streaming"]?.boolValue ?? false)
        }
        for shape in shapes.values {
            switch shape.type {
            case .structure:
                var members: [ShapeMember] = []
                for (memberName, memberJSON) in shape.raw["members"]?.members ?? [] {
                    if let target = try ref(memberJSON, context: "member \(shape.name).\(memberName)") {
                        shape.memberIndex[memberName] = members.count
                        members.append(ShapeMember(name: memberName, ref: target))
                    }
                }
                shape.members = members
            case .list:
                shape.member = try ref(shape.raw["member"], context: "list \(shape.name)")
            case .map:
                shape.key = try ref(shape.raw["key"], context: "map \(shape.name) key")
                shape.value = try ref(shape.raw["value"], context: "map \(shape.name) value")
            default:
                break
            }
        }
        self.shapes = shapes

        var operations: [String: OperationModel] = [:]
        for (operationName, operation) in json["operations"]?.members ?? [] {
            operations[operationName] = try ServiceModel.operation(
                operationName, operation, shapes: shapes, ref: ref)
        }
        self.operations = operations
    }

    static func operation(
        _ name: String, _ json: OrderedJSON, shapes: [String: Shape],
        ref: (OrderedJSON?, String) throws(AWSModelError) -> ShapeRef?
    ) throws(AWSModelError) -> OperationModel {
        let http = json["http"]
        return OperationModel(
            name: json["name"]?.stringValue ?? name, method: http?["method"]?.stringValue ?? "POST",
            requestURI: http?["requestUri"]?.stringValue ?? "/", responseCode: http?["responseCode"]?.intValue,
            input: try ref(json["input"], "input of \(name)"), output: try ref(json["output"], "output of \(name)"),
            resultWrapper: json["output"]?["resultWrapper"]?.stringValue,
            errors: (json["errors"]?.arrayValue ?? []).compactMap { $0["shape"]?.stringValue.flatMap { shapes[$0] } },
            hostPrefix: json["endpoint"]?["hostPrefix"]?.stringValue,
            checksumRequired: json["httpChecksumRequired"]?.boolValue == true
                || json["httpChecksum"]?["requestChecksumRequired"]?.boolValue == true,
            authType: json["authtype"]?.stringValue
                ?? json["auth"]?.arrayValue?.first?.stringValue.flatMap {
                    $0 == "smithy.api#noAuth" ? "none" : nil
                },
            deprecated: json["deprecated"]?.boolValue ?? false)
    }

    /// The operation named `name`, or an error that names the closest one.
    public func operation(_ name: String) throws(AWSModelError) -> OperationModel {
        if let operation = operations[name] { return operation }
        // Accept the CLI's kebab-case and lower-case spellings (`get-caller-identity`).
        let folded = name.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "").lowercased()
        if let match = operations.keys.first(where: { $0.lowercased() == folded }) { return operations[match]! }
        throw .unknownOperation(name, service: self.name, known: operations.keys.sorted())
    }
}
