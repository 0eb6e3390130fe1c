public import Foundation

/// The AWS CLI's shared files, `~/.aws/credentials` and `~/.aws/config` (or the files `AWS_SHARED_CREDENTIALS_FILE`
/// and `AWS_CONFIG_FILE` name), read into profiles. A line that is not a section, a setting, a comment or a
/// continuation is an error naming the file and line.
public struct SharedConfigFiles: Sendable {
    /// One profile's settings, with the file each came from.
    public struct Profile: Sendable {
        public let name: String
        public var settings: [String: String]
        /// The files that define the profile.
        public var files: [String]

        public subscript(key: String) -> String? { settings[key] }
    }

    public let credentialsPath: String
    public let configPath: String
    /// Profiles from the credentials file.
    public let credentialsProfiles: [String: [String: String]]
    /// Profiles from the config file (`[profile x]` read as `x`, `[default]` as `default`).
    public let configProfiles: [String: [String: String]]

    /// Reads both files; a missing file counts as empty.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        homeDirectory: String = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
    ) throws(AWSCredentialsError) -> SharedConfigFiles {
        func expand(_ path: String) -> String {
            path.hasPrefix("~/") ? homeDirectory + path.dropFirst(1) : path
        }
        let credentialsPath = expand(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials")
        let configPath = expand(environment["AWS_CONFIG_FILE"] ?? "~/.aws/config")
        let credentials = try parse(path: credentialsPath, isConfig: false)
        let config = try parse(path: configPath, isConfig: true)
        return SharedConfigFiles(
            credentialsPath: credentialsPath, configPath: configPath, credentialsProfiles: credentials,
            configProfiles: config)
    }

    public init(
        credentialsPath: String, configPath: String, credentialsProfiles: [String: [String: String]],
        configProfiles: [String: [String: String]]
    ) {
        self.credentialsPath = credentialsPath
        self.configPath = configPath
        self.credentialsProfiles = credentialsProfiles
        self.configProfiles = configProfiles
    }

    /// Every profile name in either file, sorted.
    public var profileNames: [String] {
        Set(credentialsProfiles.keys).union(configProfiles.keys).sorted()
    }

    /// A profile's settings from both files; the credentials file wins on conflicts, as in the AWS CLI.
    public func profile(_ name: String) -> Profile? {
        let fromConfig = configProfiles[name]
        let fromCredentials = credentialsProfiles[name]
        guard fromConfig != nil || fromCredentials != nil else { return nil }
        var settings = fromConfig ?? [:]
        for (key, value) in fromCredentials ?? [:] { settings[key] = value }
        var files: [String] = []
        if fromCredentials != nil { files.append(credentialsPath) }
        if fromConfig != nil { files.append(configPath) }
        return Profile(name: name, settings: settings, files: files)
    }

    /// Parses an INI file of the AWS CLI's dialect. Nested settings (`s3 =` followed by indented lines) come out
    /// as `s3.addressing_style`.
    static func parse(path: String, isConfig: Bool) throws(AWSCredentialsError) -> [String: [String: String]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .malformedFile(path, line: 1, detail: "the file is not UTF-8 text")
        }
        return try parse(text: text, path: path, isConfig: isConfig)
    }

    static func parse(
        text: String, path: String, isConfig: Bool
    ) throws(AWSCredentialsError) -> [String: [String: String]] {
        var profiles: [String: [String: String]] = [:]
        var current: String?
        var skipSection = false
        var parentKey: String?
        for (index, rawLine) in text.components(separatedBy: "\n").enumerated() {
            let lineNumber = index + 1
            let line = rawLine.replacingOccurrences(of: "\r", with: "")
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]") else {
                    throw .malformedFile(path, line: lineNumber, detail: "a section header must end with ']'")
                }
                var name = trimmed.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                skipSection = false
                if isConfig {
                    if name.hasPrefix("profile ") {
                        name = name.dropFirst("profile ".count).trimmingCharacters(in: .whitespaces)
                    } else if name != "default" {
                        // sso-session, services and other sections are not profiles.
                        skipSection = true
                    }
                }
                guard !name.isEmpty else {
                    throw .malformedFile(path, line: lineNumber, detail: "the section has no name")
                }
                current = name
                parentKey = nil
                if !skipSection, profiles[name] == nil { profiles[name] = [:] }
                continue
            }
            guard let section = current else {
                throw .malformedFile(
                    path, line: lineNumber, detail: "'\(trimmed.prefix(40))' is outside any [profile] section")
            }
            let indented = line.first == " " || line.first == "\t"
            if indented, let parent = parentKey {
                guard let equals = trimmed.firstIndex(of: "=") else {
                    throw .malformedFile(path, line: lineNumber, detail: "expected 'key = value' in a nested setting")
                }
                let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
                let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                if !skipSection { profiles[section]?["\(parent).\(key)"] = value }
                continue
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw .malformedFile(
                    path, line: lineNumber,
                    detail: "expected 'key = value', found '\(trimmed.prefix(40))'")
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            guard !key.isEmpty else { throw .malformedFile(path, line: lineNumber, detail: "a setting has no name") }
            var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            // Inline comments need a space before them, as in the AWS CLI.
            if let comment = value.range(of: " #") ?? value.range(of: " ;") {
                value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            parentKey = value.isEmpty ? key : nil
            if !skipSection, !value.isEmpty { profiles[section]?[key] = value }
        }
        return profiles
    }
}
