public import NimbusCore

/// Small builders for the JSON Schemas tool inputs declare, so a schema reads like the input it describes:
///
/// ```swift
/// static let schema = ToolSchema.object([
///     "bucket": ToolSchema.string("The bucket name."),
///     "max_keys": ToolSchema.integer("At most this many keys.", minimum: 1),
/// ], required: ["bucket"])
/// ```
public enum ToolSchema {
    /// An object with these properties; unknown properties are refused so a typo is an error, not ignored.
    public static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        var schema: [String: JSONValue] = [
            "type": "object", "properties": .object(properties), "additionalProperties": false,
        ]
        if !required.isEmpty { schema["required"] = .array(required.map(JSONValue.string)) }
        return .object(schema)
    }

    public static func string(
        _ description: String, pattern: String? = nil, oneOf values: [String]? = nil, minLength: Int? = nil
    ) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "string", "description": .string(description)]
        if let pattern { schema["pattern"] = .string(pattern) }
        if let values { schema["enum"] = .array(values.map(JSONValue.string)) }
        if let minLength { schema["minLength"] = .int(minLength) }
        return .object(schema)
    }

    public static func integer(_ description: String, minimum: Int? = nil, maximum: Int? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "integer", "description": .string(description)]
        if let minimum { schema["minimum"] = .int(minimum) }
        if let maximum { schema["maximum"] = .int(maximum) }
        return .object(schema)
    }

    public static func boolean(_ description: String) -> JSONValue {
        ["type": "boolean", "description": .string(description)]
    }

    public static func array(_ description: String, of items: JSONValue, minItems: Int? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "array", "description": .string(description), "items": items]
        if let minItems { schema["minItems"] = .int(minItems) }
        return .object(schema)
    }

    /// An object with free keys whose values all match `values` (tags, filters).
    public static func map(_ description: String, of values: JSONValue) -> JSONValue {
        ["type": "object", "description": .string(description), "additionalProperties": values]
    }

    /// Any JSON value (a payload, parameters checked elsewhere).
    public static func any(_ description: String) -> JSONValue {
        ["description": .string(description)]
    }

    /// An input with no parameters.
    public static let empty: JSONValue = object([:])
}
