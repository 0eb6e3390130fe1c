public import Foundation

/// Where requests for a service go, and whether that is AWS or an endpoint someone configured (an emulator, a
/// VPC endpoint, a proxy).
public struct AWSEndpoint: Sendable, Equatable {
    /// Scheme, host, port and any base path; no trailing slash.
    public let url: URL
    /// Set by `AWS_ENDPOINT_URL*` or configuration rather than derived from the region.
    public let isCustom: Bool
    /// The region to sign with (global services sign for us-east-1).
    public let signingRegion: String
    /// What set it, for messages (`AWS_ENDPOINT_URL_S3`, `the region`).
    public let source: String

    /// Whether the endpoint is this machine (an emulator such as moto).
    public var isLoopback: Bool {
        guard let host = url.host else { return false }
        return host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }
}

/// How S3 buckets are addressed.
public enum S3AddressingStyle: String, Sendable, CaseIterable {
    /// Virtual-hosted on AWS when the bucket name allows it, path-style on custom endpoints.
    case auto
    /// `https://bucket.s3.region.amazonaws.com/key`.
    case virtual
    /// `https://s3.region.amazonaws.com/bucket/key`.
    case path
}

/// Resolves a service's endpoint: `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then the profile's
/// `endpoint_url`, then the AWS endpoint for the region.
public struct EndpointResolver: Sendable {
    public var environment: [String: String]
    /// `endpoint_url` from the profile in `~/.aws/config`, if any.
    public var profileEndpoint: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, profileEndpoint: String? = nil) {
        self.environment = environment
        self.profileEndpoint = profileEndpoint
    }

    /// The `AWS_ENDPOINT_URL_<SERVICE>` variable for a service id (`CloudWatch Logs` → `..._CLOUDWATCH_LOGS`).
    public static func variableName(serviceID: String) -> String {
        "AWS_ENDPOINT_URL_" + serviceID.uppercased().replacingOccurrences(of: " ", with: "_")
    }

    public func endpoint(for model: ServiceModel, region: String) throws(AWSClientError) -> AWSEndpoint {
        let specific = EndpointResolver.variableName(serviceID: model.serviceID)
        for (name, value) in [(specific, environment[specific]), ("AWS_ENDPOINT_URL", environment["AWS_ENDPOINT_URL"])]
        {
            if let value, !value.isEmpty {
                return AWSEndpoint(
                    url: try parse(value, source: name), isCustom: true, signingRegion: region, source: name)
            }
        }
        if let profileEndpoint, !profileEndpoint.isEmpty {
            return AWSEndpoint(
                url: try parse(profileEndpoint, source: "endpoint_url in the profile"), isCustom: true,
                signingRegion: region, source: "endpoint_url in the profile")
        }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        let host: String
        var signingRegion = region
        switch model.name {
        case "iam":
            host = region.hasPrefix("cn-") ? "iam.cn-north-1.amazonaws.com.cn" : "iam.amazonaws.com"
            signingRegion = region.hasPrefix("cn-") ? "cn-north-1" : "us-east-1"
        case "route53":
            host = region.hasPrefix("cn-") ? "route53.amazonaws.com.cn" : "route53.amazonaws.com"
            signingRegion = region.hasPrefix("cn-") ? "cn-northwest-1" : "us-east-1"
        default:
            host = "\(model.endpointPrefix).\(region).\(suffix)"
        }
        return AWSEndpoint(
            url: URL(string: "https://\(host)")!, isCustom: false, signingRegion: signingRegion, source: "the region")
    }

    private func parse(_ text: String, source: String) throws(AWSClientError) -> URL {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = URL(string: trimmed), let scheme = url.scheme, scheme == "http" || scheme == "https",
            url.host != nil
        else { throw .invalidEndpoint(text, source: source) }
        return url
    }

    /// Whether a bucket name can be a DNS label for virtual-hosted addressing.
    public static func isVirtualHostable(bucket: String, https: Bool) -> Bool {
        guard (3...63).contains(bucket.count), bucket == bucket.lowercased() else { return false }
        if https, bucket.contains(".") { return false }
        guard let first = bucket.first, let last = bucket.last, first.isLetter || first.isNumber,
            last.isLetter || last.isNumber
        else { return false }
        if bucket.split(separator: ".").count == 4, bucket.split(separator: ".").allSatisfy({ Int($0) != nil }) {
            return false
        }
        return bucket.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." } && !bucket.contains("..")
    }
}
