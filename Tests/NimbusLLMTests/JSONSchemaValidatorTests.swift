import NimbusCore
import NimbusLLM
import Testing

@Suite("JSON Schema validation")
struct JSONSchemaValidatorTests {
    static let service: JSONValue = [
        "type": "object",
        "properties": [
            "name": ["type": "string", "minLength": 2, "maxLength": 20, "pattern": "^[a-z0-9-]+$"],
            "tier": ["enum": ["free", "pro"]],
            "replicas": ["type": "integer", "minimum": 1, "maximum": 5],
            "ratio": ["type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1],
            "tags": ["type": "array", "items": ["type": "string"], "minItems": 1, "maxItems": 3],
            "kind": ["const": "service"],
            "port": ["anyOf": [["type": "integer"], ["type": "string", "pattern": "^[0-9]+$"]]],
            "owner": ["oneOf": [["type": "string"], ["type": "null"]]],
            "region": ["$ref": "#/$defs/region"],
        ],
        "required": ["name", "tier"],
        "additionalProperties": false,
        "$defs": ["region": ["type": "string", "enum": ["us-east-1", "eu-west-1"]]],
    ]

    static let cases: [(JSONValue, [String])] = [
        (["name": "api", "tier": "pro"], []),
        (
            [
                "name": "api-1", "tier": "free", "replicas": 3, "ratio": 0.5, "tags": ["a"], "kind": "service",
                "port": "8080", "owner": nil, "region": "eu-west-1",
            ], []
        ),
        (["tier": "pro"], ["$: the required property 'name' is missing"]),
        (["name": "api", "tier": "gold"], [#"$.tier: "gold" is not one of "free", "pro""#]),
        (["name": 7, "tier": "pro"], ["$.name: should be string but is an integer"]),
        (["name": "API!", "tier": "pro"], [#"$.name: "API!" does not match /^[a-z0-9-]+$/"#]),
        (["name": "a", "tier": "pro"], ["$.name: is 1 characters long, fewer than 2"]),
        (["name": "api", "tier": "pro", "replicas": 9], ["$.replicas: 9 is more than the maximum 5"]),
        (["name": "api", "tier": "pro", "replicas": 2.5], ["$.replicas: should be integer but is a number"]),
        (["name": "api", "tier": "pro", "ratio": 1], ["$.ratio: 1 should be less than 1"]),
        (["name": "api", "tier": "pro", "tags": []], ["$.tags: has 0 items, fewer than 1"]),
        (["name": "api", "tier": "pro", "tags": ["a", 2]], ["$.tags[1]: should be string but is an integer"]),
        (["name": "api", "tier": "pro", "kind": "job"], [#"$.kind: should be "service" but is "job""#]),
        (
            ["name": "api", "tier": "pro", "tire": "x"],
            ["$: the property 'tire' is not allowed (did you mean 'tier'?)"]
        ),
        (
            ["name": "api", "tier": "pro", "region": "mars-1"],
            [#"$.region: "mars-1" is not one of "us-east-1", "eu-west-1""#]
        ),
        ("just text", ["$: should be object but is a string"]),
    ]

    @Test("each violation is reported with its path", arguments: cases)
    func violations(value: JSONValue, expected: [String]) {
        let found = JSONSchemaValidator(schema: Self.service).violations(of: value).map(\.description)
        #expect(found == expected)
    }

    @Test("anyOf and oneOf explain which shapes failed")
    func combinators() {
        let validator = JSONSchemaValidator(schema: Self.service)
        let anyOf = validator.violations(of: ["name": "api", "tier": "pro", "port": "eighty"])
        #expect(anyOf.count == 1)
        #expect(anyOf[0].path == "$.port" && anyOf[0].problem.contains("matches none of the 2 allowed shapes (anyOf)"))
        let oneOf = JSONSchemaValidator(schema: ["oneOf": [["type": "integer"], ["type": "number"]]]).violations(of: 3)
        #expect(oneOf.map(\.problem) == ["matches 2 of the oneOf shapes; exactly one is allowed"])
    }

    @Test("boolean schemas and unknown keywords")
    func booleanSchemas() {
        #expect(JSONSchemaValidator(schema: true).isValid(["anything": 1]))
        #expect(!JSONSchemaValidator(schema: false).isValid(1))
        #expect(JSONSchemaValidator(schema: ["type": "string", "format": "uri", "x-custom": 1]).isValid("not a uri"))
        #expect(JSONSchemaValidator(schema: ["type": ["string", "null"]]).isValid(nil))
    }
}
