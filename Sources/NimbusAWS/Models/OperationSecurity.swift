public import NimbusCore

/// What an operation does and which secrets it carries, read from its model: the facts policy, approval and
/// redaction rest on, so no caller has to guess them from how an operation was spelled.
extension OperationModel {
    /// Name prefixes of operations that only read.
    static let readPrefixes = [
        "Describe", "List", "Get", "Head", "Search", "Lookup", "Query", "Scan", "BatchGet", "Select", "Check",
        "Validate", "Estimate", "Preview", "Simulate", "Test", "Filter", "Detect", "Discover", "View",
    ]
    /// Name prefixes of operations that delete.
    static let deletePrefixes = [
        "Delete", "Terminate", "Remove", "Deregister", "Purge", "Detach", "Disassociate", "Revoke", "Destroy",
        "Release", "Empty", "BatchDelete",
    ]
    /// Operations whose names read like reads but that mint credentials.
    static let notReads: Set<String> = ["GetSessionToken", "GetFederationToken"]

    /// What the operation does, from its model name (`list-buckets` and `ListBuckets` are the same read;
    /// `DeleteBucket` deletes); anything that is neither a read nor a delete is a write.
    public var access: AWSAccess { Self.access(named: name) }

    /// What an operation or IAM action named `name` (`ListBuckets`, or `s3:ListAllMyBuckets`) does, by its name.
    public static func access(named name: String) -> AWSAccess {
        let name = name.split(separator: ":").last.map(String.init) ?? name
        if !notReads.contains(name), readPrefixes.contains(where: { name.hasPrefix($0) }) { return .read }
        if deletePrefixes.contains(where: { name.hasPrefix($0) }) { return .delete }
        return .write
    }

    /// `service:Operation`, with the service's IAM prefix (`elasticloadbalancing:` for elbv2).
    public func action(service: ServiceModel) -> String {
        "\(Self.iamPrefixes[service.name] ?? service.name):\(name)"
    }

    /// The IAM actions that authorise the operation, all of them needed: S3 authorises multipart uploads with
    /// `s3:PutObject`, listings with `s3:ListBucket`, batch deletes with `s3:DeleteObject`; elsewhere the action is
    /// the operation's own name.
    public func iamActions(service: ServiceModel) -> [String] {
        if let actions = Self.differentIAMActions[service.name]?[name] {
            let prefix = Self.iamPrefixes[service.name] ?? service.name
            return actions.map { "\(prefix):\($0)" }
        }
        return [action(service: service)]
    }

    static let iamPrefixes = ["elbv2": "elasticloadbalancing"]

    /// Operations authorised by IAM actions of other names, by service.
    static let differentIAMActions: [String: [String: [String]]] = [
        "s3": s3Actions, "lambda": ["Invoke": ["InvokeFunction"], "InvokeAsync": ["InvokeFunction"]],
    ]

    static let s3Actions: [String: [String]] = [
        "ListObjects": ["ListBucket"], "ListObjectsV2": ["ListBucket"], "HeadBucket": ["ListBucket"],
        "ListObjectVersions": ["ListBucketVersions"], "ListBuckets": ["ListAllMyBuckets"],
        "HeadObject": ["GetObject"], "GetObjectAttributes": ["GetObject"],
        "CreateMultipartUpload": ["PutObject"], "UploadPart": ["PutObject"], "CompleteMultipartUpload": ["PutObject"],
        "UploadPartCopy": ["PutObject", "GetObject"], "CopyObject": ["PutObject", "GetObject"],
        "DeleteObjects": ["DeleteObject"], "ListParts": ["ListMultipartUploadParts"],
        "ListMultipartUploads": ["ListBucketMultipartUploads"],
        "GetBucketEncryption": ["GetEncryptionConfiguration"], "PutBucketEncryption": ["PutEncryptionConfiguration"],
        "DeleteBucketEncryption": ["PutEncryptionConfiguration"],
        "GetPublicAccessBlock": ["GetBucketPublicAccessBlock"], "PutPublicAccessBlock": ["PutBucketPublicAccessBlock"],
        "DeletePublicAccessBlock": ["PutBucketPublicAccessBlock"],
    ]

    /// The parameters with sensitive members masked, and the values that were masked.
    public func redactingInput(_ value: JSONValue) -> (redacted: JSONValue, secrets: [String]) {
        SensitiveShapes.redact(value, ref: input)
    }

    /// An answer with sensitive members masked, and the values that were masked.
    public func redactingOutput(_ value: JSONValue) -> (redacted: JSONValue, secrets: [String]) {
        SensitiveShapes.redact(value, ref: output)
    }
}

/// Walks a value along its shape and masks every member whose shape the model marks `sensitive` (SSM's
/// `PSParameterValue`, IAM's `accessKeySecretType`, Secrets Manager's `SecretStringType`, passwords).
enum SensitiveShapes {
    static func redact(_ value: JSONValue, ref: ShapeRef?) -> (redacted: JSONValue, secrets: [String]) {
        var secrets: [String] = []
        let redacted = walk(value, shape: ref?.shape, depth: 0, secrets: &secrets)
        return (redacted, secrets)
    }

    private static func walk(_ value: JSONValue, shape: Shape?, depth: Int, secrets: inout [String]) -> JSONValue {
        guard let shape, depth < 64 else { return value }
        if shape.isSensitive {
            collect(value, into: &secrets)
            return value.isNull ? value : .string(SecretRedactor.placeholder)
        }
        switch (shape.type, value) {
        case (.structure, .object(let members)):
            var result: [String: JSONValue] = [:]
            for (key, member) in members {
                result[key] = walk(
                    member, shape: shape.member(named: key)?.ref.shape, depth: depth + 1, secrets: &secrets)
            }
            return .object(result)
        case (.list, .array(let elements)):
            return .array(elements.map { walk($0, shape: shape.member?.shape, depth: depth + 1, secrets: &secrets) })
        case (.map, .object(let members)):
            return .object(
                members.mapValues { walk($0, shape: shape.value?.shape, depth: depth + 1, secrets: &secrets) })
        default:
            return value
        }
    }

    private static func collect(_ value: JSONValue, into secrets: inout [String]) {
        switch value {
        case .string(let text) where !text.isEmpty: secrets.append(text)
        case .array(let elements): elements.forEach { collect($0, into: &secrets) }
        case .object(let members): members.values.forEach { collect($0, into: &secrets) }
        default: break
        }
    }
}
