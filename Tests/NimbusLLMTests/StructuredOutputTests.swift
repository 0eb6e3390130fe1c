import Foundation
import NimbusCore
import NimbusLLM
import NimbusTesting
import Testing

@Suite("Structured output, tool arguments and the scripted model")
struct StructuredOutputTests {
    struct Bucket: Decodable, Equatable {
        var name: String
        var versioning: Bool
    }

    static let schema: JSONValue = [
        "type": "object",
        "properties": [
            "name": ["type": "string", "pattern": "^[a-z0-9.-]{3,63}$"], "versioning": ["type": "boolean"],
        ],
        "required": ["name", "versioning"], "additionalProperties": false,
    ]

    @Test("an answer that breaks the schema is retried once with the problems listed, then accepted")
    func retryWithErrors() async throws {
        let model = ScriptedChatModel([
            .text(#"Sure! {"name": "My_Bucket", "versioning": "yes"}"#),
            .text("```json\n{\"name\": \"my-bucket\", \"versioning\": true}\n```"),
        ])
        let answer = try await model.respond(
            to: ChatRequest(user: "Describe a bucket"), format: JSONSchemaFormat(schema: Self.schema))
        #expect(answer.attempts == 2)
        #expect(try answer.decode(Bucket.self) == Bucket(name: "my-bucket", versioning: true))
        #expect(model.requests.count == 2)
        #expect(model.requests[0].responseFormat == .jsonSchema(JSONSchemaFormat(schema: Self.schema)))
        let feedback = try #require(model.requests[1].messages.last)
        #expect(feedback.role == .user)
        #expect(feedback.content.contains(#"$.name: "My_Bucket" does not match"#))
        #expect(feedback.content.contains("$.versioning: should be boolean but is a string"))
        #expect(model.requests[1].messages.dropLast().last?.role == .assistant)
    }

    @Test("two invalid answers give an error listing the problems; nothing unvalidated is returned")
    func giveUp() async throws {
        let model = ScriptedChatModel([.text("no JSON here"), .text(#"{"name": "ok-name"}"#)])
        await #expect {
            _ = try await model.respond(to: ChatRequest(user: "x"), returning: Bucket.self, schema: Self.schema)
        } throws: { error in
            let error = error as? LLMError
            return error?.kind == .invalidStructuredOutput
                && error?.message.contains("the required property 'versioning' is missing") == true
        }
    }

    @Test("tool arguments decode into Swift types, with errors naming the tool and field")
    func toolArguments() throws {
        struct ListBuckets: Decodable, Equatable {
            var region: String
            var limit: Int?
        }
        let call = ToolCall(id: "1", name: "list_buckets", arguments: #"{"region":"eu-west-1","limit":5}"#)
        #expect(try call.decodeArguments(ListBuckets.self) == ListBuckets(region: "eu-west-1", limit: 5))
        let wrong = ToolCall(id: "2", name: "list_buckets", arguments: #"{"limit":"five"}"#)
        #expect { _ = try wrong.decodeArguments(ListBuckets.self) } throws: { error in
            let text = "\(error)"
            return (error as? LLMError)?.kind == .badToolArguments && text.contains("'list_buckets'")
                && text.contains("ListBuckets") && text.contains("region")
        }
        let broken = ToolCall(id: "3", name: "list_buckets", arguments: #"{"region": "#)
        #expect { _ = try broken.decodeArguments(ListBuckets.self) } throws: { "\($0)".contains("JSON") }
        #expect(try ToolCall(id: "4", name: "now", arguments: "").argumentsJSON() == [:])
    }

    @Test("the scripted model plays tool calls and answers in order, streams them, and records requests")
    func scripted() async throws {
        let model = ScriptedChatModel([
            .toolCall("list_buckets", arguments: ["region": "eu-west-1"], id: "call_a"),
            .text("You have 2 buckets."),
        ])
        let first = try await model.stream(ChatRequest(user: "How many buckets?")).collect()
        #expect(
            first.toolCalls == [ToolCall(id: "call_a", name: "list_buckets", arguments: #"{"region":"eu-west-1"}"#)])
        #expect(first.stopReason == .toolCalls)
        let second = try await model.respond(
            to: ChatRequest(messages: [
                .user("How many buckets?"), first.message, .toolResult(#"["a","b"]"#, for: first.toolCalls[0]),
            ]))
        #expect(second.text == "You have 2 buckets.")
        #expect(model.requests.count == 2)
        #expect(model.requests[1].messages.last?.toolCallID == "call_a")
        await #expect { _ = try await model.respond(to: ChatRequest(user: "more?")) } throws: {
            "\($0)".contains("script does not answer")
        }
    }
}
