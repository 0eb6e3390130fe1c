import NimbusHCL
import Testing

@Suite struct EvaluationTests {
    func value(_ source: String, _ variables: [String: Value] = [:], unknown: Bool = false) throws -> Value {
        let (expression, diagnostics) = HCLParser.parseExpression(source)
        #expect(!diagnostics.hasErrors, "\(errors(diagnostics))")
        return try Evaluator(variables: variables, unknownForUndefined: unknown).evaluate(expression)
    }

    @Test func numbersKeepTerraformsPrecision() throws {
        #expect(try value("1 / 10").description == "0.1")
        #expect(try value("0.1 + 0.2").description == "0.3")
        #expect(try value("0.1 + 0.2 == 0.3") == .bool(true))
        #expect(try value("2 + 3.5") == .number(Number("5.5")!))
        #expect(try value("11 % 5") == .int(1))
        #expect(try value("-7 % 3") == .int(-1))
        #expect(try value("2 * 4.5").description == "9")
        #expect(try value("9007199254740993 + 0").description == "9007199254740993")
        #expect(try value("1e30 * 1e30").description == "1" + String(repeating: "0", count: 60))
        #expect(throws: EvaluationError.self) { try value("1 / 0") }
    }

    @Test func stringTestsAndRegularExpressions() throws {
        #expect(try value("startswith(\"db.r6g.large\", \"db.\")") == .bool(true))
        #expect(try value("endswith(\"orders.fifo\", \".fifo\")") == .bool(true))
        #expect(try value("strcontains(\"t3.micro\", \"db.\")") == .bool(false))
        #expect(try value("regex(\"[0-9]+\", \"gp3 100 GB\")") == .string("3"))
        #expect(
            try value("regex(\"^([a-z]+)-([0-9]+)$\", \"orders-12\")") == .tuple([.string("orders"), .string("12")]))
        #expect(try value("regex(\"(?P<env>[a-z]+)-db\", \"prod-db\")") == .object(["env": .string("prod")]))
        // What module validations write: `can(regex(...))` is false when nothing matches.
        #expect(try value("can(regex(\"^[a-z0-9-]{1,63}$\", \"Orders_DB\"))") == .bool(false))
        #expect(try value("can(regex(\"^[a-z0-9-]{1,63}$\", \"orders-db\"))") == .bool(true))
        #expect(throws: EvaluationError.self) { try value("regex(\"[\", \"x\")") }
    }

    @Test func typesAndConversions() throws {
        #expect(try value("\"1\" == 1") == .bool(false))
        #expect(try value("\"2\" + 1") == .int(3))
        #expect(try value("[1, \"a\"]").converted(to: .list(.string)) == .list([.string("1"), .string("a")], .string))
        #expect(throws: ConversionError.self) { try Value.string("x").converted(to: .number) }
        let object = try value("{ a = 1 }").converted(to: .object(["a": .number, "b": .string], optional: ["b"]))
        #expect(object == .object(["a": .int(1), "b": .null(.string)]))
        #expect(try value("toset([\"b\", \"a\", \"b\"])") == .set([.string("a"), .string("b")], .string))
    }

    @Test func unknownReferencesGiveTypedUnknowns() throws {
        #expect(try value("var.count + 1", unknown: true) == .unknown(.number))
        #expect(try value("aws_instance.web.id == \"x\"", unknown: true) == .unknown(.bool))
        #expect(try value("\"arn:${local.partition}:s3\"", unknown: true) == .unknown(.string))
        #expect(throws: EvaluationError.self) { try value("nope") }
    }

    @Test func forExpressionsSplatsAndTemplates() throws {
        let items: Value = .tuple([.object(["id": .string("a")]), .object(["id": .string("b")])])
        #expect(try value("items[*].id", ["items": items]) == .tuple([.string("a"), .string("b")]))
        #expect(try value("[for i, v in [\"a\", \"b\", \"c\"]: v if i < 2]") == .tuple([.string("a"), .string("b")]))
        #expect(
            try value("{for i, v in [\"a\", \"a\", \"b\"]: v => i...}")
                == .object(["a": .tuple([.int(0), .int(1)]), "b": .tuple([.int(2)])]))
        #expect(throws: EvaluationError.self) { try value("{for i, v in [\"a\", \"a\"]: v => i}") }
        #expect(try value("\"%{for v in [1, 2]}${v},%{endfor}\"") == .string("1,2,"))
        #expect(try value("\"${true}\"") == .bool(true))
    }

    @Test(
        "standard functions",
        arguments: [
            ("merge({a = 1}, {b = 2}, {a = 3})", "{ a = 3, b = 2 }"),
            ("concat([1], [2, 3])", "[1, 2, 3]"),
            ("lookup({a = \"x\"}, \"b\", \"d\")", "\"d\""),
            ("length(\"héllo\")", "5"),
            ("format(\"%s-%03d-%.2f-%v\", \"a\", 7, 3.14159, true)", "\"a-007-3.14-true\""),
            ("join(\",\", [\"a\", \"b\"])", "\"a,b\""),
            ("split(\",\", \"a,b\")", "[\"a\", \"b\"]"),
            ("jsonencode({b = [1, true, null], a = \"x\"})", #""{\"a\":\"x\",\"b\":[1,true,null]}""#),
            // As Terraform: <, > and & are written as \u escapes (Go's encoding/json), and decode back.
            ("jsonencode({\"<k>\" = \"a&b\"})", #""{\"\\u003ck\\u003e\":\"a\\u0026b\"}""#),
            ("jsondecode(jsonencode(\"<&>\"))", "\"<&>\""),
            ("tomap({a = 1, b = \"2\"})", "{ a = \"1\", b = \"2\" }"),
            ("try(nope.x, \"fallback\")", "\"fallback\""),
            ("coalesce(null, \"\", \"x\")", "\"x\""),
            ("contains([\"a\"], \"a\")", "true"),
            ("keys({b = 1, a = 2})", "[\"a\", \"b\"]"),
            ("values({b = 1, a = 2})", "[2, 1]"),
            ("upper(lower(\"MiXed\"))", "\"MIXED\""),
            ("replace(\"a-b-c\", \"-\", \"_\")", "\"a_b_c\""),
            ("replace(\"a1b22\", \"/[0-9]+/\", \"#\")", "\"a#b#\""),
            ("cidrsubnet(\"10.0.0.0/16\", 8, 2)", "\"10.0.2.0/24\""),
            ("cidrsubnet(\"172.16.0.0/12\", 4, 15)", "\"172.31.0.0/16\""),
            ("cidrsubnet(\"fd00:fd12:3456:7890::/56\", 16, 162)", "\"fd00:fd12:3456:7800:a200::/72\""),
        ])
    func functions(_ source: String, _ expected: String) throws {
        #expect(try value(source).description == expected)
    }

    @Test func typeConstraints() throws {
        func constraint(_ source: String) -> Result<ValueType, TypeConstraintError> {
            ValueType.constraint(HCLParser.parseExpression(source).expression)
        }
        #expect(
            try constraint("map(object({ name = string, size = optional(number) }))").get().description
                == "map(object({name = string, size = optional(number)}))")
        #expect(try constraint("\"list\"").get() == .list(.string))
        guard case .failure(let error) = constraint("lsit(string)") else {
            Issue.record("accepted lsit")
            return
        }
        #expect(error.suggestion == "did you mean 'list'?")
    }
}
