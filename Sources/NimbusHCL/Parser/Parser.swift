/// Parses HCL native syntax into a ``ConfigFile``, reporting every problem it can find.
///
/// The parser never stops at the first error: it reports it, skips to the end of the broken attribute or
/// block, and goes on. Nesting deeper than ``maximumNesting`` is reported and parsing stops there, so no
/// input can exhaust the stack.
public enum HCLParser {
    /// How deeply expressions, blocks and templates may nest.
    public static let maximumNesting = 128

    /// Parses a whole file.
    public static func parse(_ source: String, filename: String = "") -> (file: ConfigFile, diagnostics: [Diagnostic]) {
        parse(Array(source.utf8), filename: filename)
    }

    /// Parses a whole file from its UTF-8 bytes.
    public static func parse(_ bytes: [UInt8], filename: String = "") -> (file: ConfigFile, diagnostics: [Diagnostic]) {
        let (tokens, problems) = Lexer.tokenize(bytes)
        var parser = ParserState(bytes: bytes, tokens: tokens, filename: filename)
        parser.reportUTF8Problems()
        parser.report(problems)
        let body = parser.parseFileBody()
        parser.diagnostics.sort { $0.range.start.byte < $1.range.start.byte }
        let file = ConfigFile(filename: filename, body: body, source: bytes, tokens: tokens)
        return (file, parser.diagnostics)
    }

    /// Parses a standalone expression, such as a type constraint or a value given on a command line.
    public static func parseExpression(
        _ source: String, filename: String = ""
    )
        -> (expression: HCLExpression, diagnostics: [Diagnostic])
    {
        let bytes = Array(source.utf8)
        let (tokens, problems) = Lexer.tokenize(bytes)
        var parser = ParserState(bytes: bytes, tokens: tokens, filename: filename)
        parser.report(problems)
        parser.newlines = [false]
        let expression = parser.parseExpression()
        let next = parser.peek()
        if next.kind != .endOfFile {
            parser.error(
                "Extra characters after expression",
                "An expression was successfully parsed, but extra characters "
                    + "were found after it.", parser.range(next))
        }
        return (expression, parser.diagnostics)
    }

    /// Parses a standalone template (the contents of a string without its quotes), as the JSON syntax needs.
    /// Backslashes are plain text; `${…}` and `%{…}` sequences work as in a heredoc.
    public static func parseTemplate(
        _ source: String, filename: String = ""
    )
        -> (expression: HCLExpression, diagnostics: [Diagnostic])
    {
        let text = Array(source.utf8)
        var parser = ParserState(bytes: text, tokens: StandaloneTemplateLexer.tokenize(text), filename: filename)
        let parts = parser.parseTemplateBody(end: .endOfFile, heredoc: nil)
        return (HCLExpression(.template(Template(parts)), range: parser.range(0, text.count)), parser.diagnostics)
    }
}

/// Lexes a standalone template: literal text, `${…}` and `%{…}` sequences, with backslashes left alone.
enum StandaloneTemplateLexer {
    static func tokenize(_ text: [UInt8]) -> [Token] {
        // Lexed as the body of a heredoc whose marker occurs nowhere in the text.
        let marker = uniqueMarker(for: text)
        let head = Array("<<\(marker)\n".utf8)
        let (tokens, _) = Lexer.tokenize(head + text)
        let shift = Int32(head.count)
        var result: [Token] = []
        result.reserveCapacity(tokens.count)
        for token in tokens.dropFirst() {
            var shifted = token
            shifted.start -= shift
            shifted.end -= shift
            if shifted.kind == .closeHeredoc { continue }
            result.append(shifted)
        }
        if result.last?.kind != .endOfFile {
            result.append(Token(.endOfFile, text.count, text.count))
        }
        return result
    }

    /// A heredoc marker that no line of `text` equals.
    static func uniqueMarker(for text: [UInt8]) -> String {
        var marker = "HCLTEMPLATEEND"
        let string = String(decoding: text, as: UTF8.self)
        while string.contains(marker) { marker += "X" }
        return marker
    }
}
