/// Stable, machine-readable names for errors — `aws_transfer.missing_object`, `aws_gate.not_approved` — for
/// `--output json` and, later, API answers: programs match the code, never the wording.
///
/// The code is the error type's name (without `Error`) and the name of its kind or code, both in snake case,
/// read from the type's `code` or `kind` member, so every error that follows the project's convention has one.
public enum ErrorCode {
    public static func of(_ error: any Error) -> String {
        let type = String(describing: Swift.type(of: error))
        var domain = type.hasSuffix("Error") ? String(type.dropLast(5)) : type
        if domain.isEmpty { domain = type }
        let mirror = Mirror(reflecting: error)
        let member = mirror.children.first { $0.label == "code" || $0.label == "kind" }?.value
        let name = member.map { value -> String in
            if let raw = value as? any RawRepresentable, let text = raw.rawValue as? String { return text }
            return String(describing: value)
        }
        return snakeCase(domain) + "." + snakeCase(name ?? "error")
    }

    /// `AWSTransfer` → `aws_transfer`, `notApproved` → `not_approved`.
    public static func snakeCase(_ text: String) -> String {
        var output = ""
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            let isUpper = scalar.properties.isUppercase
            if isUpper, index > 0 {
                let previousLower = scalars[index - 1].properties.isLowercase
                let nextLower = index + 1 < scalars.count && scalars[index + 1].properties.isLowercase
                if previousLower || (nextLower && scalars[index - 1].properties.isUppercase) { output += "_" }
            }
            output += String(scalar).lowercased()
        }
        return output.replacingOccurrences(of: "__", with: "_")
    }
}
