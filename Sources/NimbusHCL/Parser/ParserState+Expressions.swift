extension ParserState {
    mutating func parseExpression() -> HCLExpression {
        guard enter() else { return HCLExpression(.invalid) }
        defer { leave() }
        let condition = parseBinary(level: 1)
        guard peek().kind == .question else { return condition }
        read()
        let then = parseExpression()
        let colon = peek()
        guard colon.kind == .colon else {
            error(
                "Missing false expression in conditional",
                "The conditional operator (...?...:...) requires a false expression, delimited by a colon.",
                range(colon))
            return HCLExpression(.conditional(condition, then, HCLExpression(.invalid)), range: condition.range)
        }
        read()
        let otherwise = parseExpression()
        return HCLExpression(.conditional(condition, then, otherwise), range: condition.range.through(otherwise.range))
    }

    static func binaryOperator(_ kind: TokenKind) -> BinaryOperator? {
        switch kind {
        case .star: .multiply
        case .slash: .divide
        case .percent: .modulo
        case .plus: .add
        case .minus: .subtract
        case .greater: .greater
        case .greaterEqual: .greaterOrEqual
        case .less: .less
        case .lessEqual: .lessOrEqual
        case .equalEqual: .equal
        case .notEqual: .notEqual
        case .and: .and
        case .or: .or
        default: nil
        }
    }

    /// Precedence climbing: operators of one level associate to the left.
    mutating func parseBinary(level: Int) -> HCLExpression {
        var left = parseUnary()
        while let operation = Self.binaryOperator(peek().kind), operation.precedence >= level, !aborted {
            read()
            let right = parseBinary(level: operation.precedence + 1)
            left = HCLExpression(.binary(operation, left, right), range: left.range.through(right.range))
        }
        return left
    }

    mutating func parseUnary() -> HCLExpression {
        let token = peek()
        if token.kind == .minus || token.kind == .bang {
            guard enter() else { return HCLExpression(.invalid) }
            defer { leave() }
            read()
            let operand = parseUnary()
            let operation: UnaryOperator = token.kind == .minus ? .negate : .not
            return HCLExpression(.unary(operation, operand), range: range(token).through(operand.range))
        }
        return parsePostfix(parseTerm())
    }

    mutating func parseTerm() -> HCLExpression {
        let token = peek()
        switch token.kind {
        case .openParen:
            read()
            newlines.append(false)
            defer { newlines.removeLast() }
            let inner = parseExpression()
            let close = peek()
            if close.kind == .closeParen {
                read()
            } else {
                error(
                    "Unbalanced parentheses", "Expected a closing parenthesis to terminate the expression.",
                    range(close), context: range(from: token, to: close))
                recover(to: .closeParen)
            }
            return HCLExpression(.parenthesized(inner), range: range(Int(token.start), previousEnd))
        case .number:
            read()
            return HCLExpression(.number(text(token)), range: range(token))
        case .identifier:
            read()
            let next = peek()
            if next.kind == .openParen || next.kind == .doubleColon {
                return parseCall(name: token)
            }
            let kind: HCLExpression.Kind
            if isKeyword(token, "true") {
                kind = .bool(true)
            } else if isKeyword(token, "false") {
                kind = .bool(false)
            } else if isKeyword(token, "null") {
                kind = .null
            } else {
                kind = .variable(text(token))
            }
            return HCLExpression(kind, range: range(token))
        case .openQuote:
            return parseQuotedTemplate()
        case .openHeredoc:
            return parseHeredoc()
        case .openBracket:
            return parseTuple()
        case .openBrace:
            return parseObject()
        default:
            // A broken heredoc introduction was already reported by the lexer.
            let heredoc = token.kind == .invalid && bytes[Int(token.start)] == UInt8(ascii: "<")
            if heredoc { recovery = true }
            error(
                "Invalid expression", "Expected the start of an expression, but found \(token.kind).", range(token))
            switch token.kind {
            case .newline, .endOfFile, .closeBrace, .closeBracket, .closeParen, .templateSequenceEnd, .closeQuote,
                .closeHeredoc, .comma:
                break
            default:
                read()
            }
            return HCLExpression(.invalid, range: range(token))
        }
    }

    mutating func parsePostfix(_ term: HCLExpression) -> HCLExpression {
        var expression = term
        while !aborted {
            let token = peek()
            switch token.kind {
            case .dot:
                let next = peek(skip: 1)
                switch next.kind {
                case .identifier:
                    read()
                    read()
                    expression = HCLExpression(
                        .attribute(expression, text(next)), range: expression.range.through(range(next)))
                case .number:
                    read()
                    read()
                    guard let value = legacyIndex(next) else {
                        error(
                            "Invalid legacy index syntax",
                            "When using the legacy index syntax, chaining two indexes together is not permitted. "
                                + "Use the proper index syntax instead, like [0][1].", range(next))
                        return expression
                    }
                    expression = HCLExpression(
                        .legacyIndex(expression, value), range: expression.range.through(range(next)))
                case .star:
                    read()
                    read()
                    expression = parseSplat(expression, full: false, start: token)
                default:
                    read()
                    error("Invalid attribute name", "An attribute name is required after a dot.", range(next))
                    return expression
                }
            case .openBracket:
                read()
                newlines.append(false)
                if peek().kind == .star, peek(skip: 1).kind == .closeBracket {
                    read()
                    read()
                    newlines.removeLast()
                    expression = parseSplat(expression, full: true, start: token)
                    continue
                }
                let key = parseExpression()
                let close = peek()
                if close.kind == .closeBracket {
                    read()
                } else {
                    error(
                        "Missing close bracket on index", "The index operator must end with a closing bracket (\"]\").",
                        range(close))
                    recover(to: .closeBracket)
                }
                newlines.removeLast()
                expression = HCLExpression(
                    .index(expression, key), range: range(expression.range.start.byte, previousEnd))
            default:
                return expression
            }
        }
        return expression
    }

    func legacyIndex(_ token: Token) -> Int? {
        var value = 0
        for byte in bytes[Int(token.start)..<Int(token.end)] {
            guard byte >= 48, byte <= 57 else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            value = product + Int(byte - 48)
        }
        return value
    }

    mutating func parseSplat(_ source: HCLExpression, full: Bool, start: Token) -> HCLExpression {
        var steps: [TraversalStep] = []
        loop: while !aborted {
            let token = peek()
            switch token.kind {
            case .dot:
                let next = peek(skip: 1)
                if next.kind == .identifier {
                    read()
                    read()
                    steps.append(.attribute(text(next)))
                } else if next.kind == .number, let value = legacyIndex(next) {
                    read()
                    read()
                    steps.append(.legacyIndex(value))
                } else {
                    break loop
                }
            case .openBracket where full:
                if peek(skip: 1).kind == .star { break loop }
                read()
                newlines.append(false)
                let key = parseExpression()
                if peek().kind == .closeBracket {
                    read()
                } else {
                    error(
                        "Missing close bracket on index", "The index operator must end with a closing bracket (\"]\").",
                        range(peek()))
                    recover(to: .closeBracket)
                }
                newlines.removeLast()
                steps.append(.index(key))
            default:
                break loop
            }
        }
        return HCLExpression(
            .splat(source, full: full, steps: steps), range: range(source.range.start.byte, previousEnd))
    }

    mutating func parseCall(name first: Token) -> HCLExpression {
        var name = text(first)
        while peek().kind == .doubleColon {
            read()
            let part = peek()
            guard part.kind == .identifier else {
                error(
                    "Invalid function name", "A function name must follow \"::\" in a provider function call.",
                    range(part))
                return HCLExpression(.invalid, range: range(first))
            }
            read()
            name += "::" + text(part)
        }
        let open = peek()
        guard open.kind == .openParen else {
            error(
                "Missing function call", "A provider function name must be followed by its arguments in parentheses.",
                range(open))
            return HCLExpression(.invalid, range: range(first))
        }
        read()
        newlines.append(false)
        defer { newlines.removeLast() }
        var arguments: [HCLExpression] = []
        var expand = false
        while !aborted {
            if peek().kind == .closeParen { break }
            if peek().kind == .endOfFile {
                error(
                    "Unterminated function call", "There is no closing parenthesis for this function call.", range(open)
                )
                return HCLExpression(
                    .call(name, arguments, expandFinal: expand), range: range(Int(first.start), previousEnd))
            }
            arguments.append(parseExpression())
            var next = peek()
            if next.kind == .ellipsis {
                read()
                expand = true
                next = peek()
                if next.kind == .comma {
                    read()
                    next = peek()
                }
                if next.kind != .closeParen {
                    error(
                        "Missing closing parenthesis",
                        "An expanded function argument (with ...) must be immediately followed by closing parentheses.",
                        range(next))
                    recover(to: .closeParen)
                    return HCLExpression(
                        .call(name, arguments, expandFinal: expand), range: range(Int(first.start), previousEnd))
                }
                break
            }
            if next.kind == .closeParen { break }
            if next.kind == .endOfFile {
                error(
                    "Unterminated function call", "There is no closing parenthesis for this function call.", range(open)
                )
                return HCLExpression(
                    .call(name, arguments, expandFinal: expand), range: range(Int(first.start), previousEnd))
            }
            if next.kind == .comma {
                read()
                continue
            }
            error(
                "Missing argument separator",
                "A comma is required to separate each function argument from the next.", range(next),
                context: range(from: first, to: next))
            recover(to: .closeParen)
            return HCLExpression(
                .call(name, arguments, expandFinal: expand), range: range(Int(first.start), previousEnd))
        }
        let close = read()
        if close.kind != .closeParen {
            error("Unterminated function call", "There is no closing parenthesis for this function call.", range(open))
        }
        return HCLExpression(.call(name, arguments, expandFinal: expand), range: range(Int(first.start), previousEnd))
    }

    mutating func parseTuple() -> HCLExpression {
        let open = read()
        newlines.append(false)
        defer { newlines.removeLast() }
        if isKeyword(peek(), "for") {
            return parseFor(open: open, object: false)
        }
        var elements: [HCLExpression] = []
        while !aborted {
            if peek().kind == .closeBracket { break }
            if peek().kind == .endOfFile {
                error("Unterminated tuple", "There is no closing bracket for this tuple.", range(open))
                return HCLExpression(.tuple(elements), range: range(Int(open.start), previousEnd))
            }
            elements.append(parseExpression())
            let next = peek()
            if next.kind == .closeBracket { break }
            if next.kind == .endOfFile {
                error("Unterminated tuple", "There is no closing bracket for this tuple.", range(open))
                return HCLExpression(.tuple(elements), range: range(Int(open.start), previousEnd))
            }
            if next.kind == .comma {
                read()
                continue
            }
            error(
                "Missing item separator", "Expected a comma to mark the beginning of the next item.", range(next),
                context: range(from: open, to: next))
            recover(to: .closeBracket)
            return HCLExpression(.tuple(elements), range: range(Int(open.start), previousEnd))
        }
        let close = read()
        if close.kind != .closeBracket {
            error("Unterminated tuple", "There is no closing bracket for this tuple.", range(open))
        }
        return HCLExpression(.tuple(elements), range: range(Int(open.start), previousEnd))
    }

    mutating func parseObject() -> HCLExpression {
        let open = read()
        newlines.append(false)
        if isKeyword(peek(), "for") {
            defer { newlines.removeLast() }
            return parseFor(open: open, object: true)
        }
        newlines[newlines.count - 1] = true
        defer { newlines.removeLast() }
        var items: [ObjectItem] = []
        while !aborted {
            let token = peek()
            if token.kind == .newline {
                read()
                continue
            }
            if token.kind == .comma, !items.isEmpty, index > 0, tokens[index - 1].kind == .newline {
                warning(
                    "Comma on its own line",
                    "Terraform rejects a comma that follows a newline between object attributes; this file is read "
                        + "anyway.", range(token))
                read()
                continue
            }
            if token.kind == .closeBrace { break }
            if token.kind == .endOfFile {
                error("Unterminated object", "There is no closing brace for this object.", range(open))
                return HCLExpression(.object(items), range: range(Int(open.start), previousEnd))
            }
            let key: HCLExpression
            let separatorAhead = peek(skip: 1).kind
            if token.kind == .identifier, separatorAhead == .equal || separatorAhead == .colon {
                read()
                key = HCLExpression(.variable(text(token)), range: range(token))
            } else {
                key = parseExpression()
            }
            let separator = peek()
            guard separator.kind == .equal || separator.kind == .colon else {
                error(
                    "Missing key/value separator",
                    "Expected an equals sign (\"=\") to mark the beginning of the attribute value.", range(separator),
                    context: range(from: open, to: separator))
                recover(to: .closeBrace)
                return HCLExpression(.object(items), range: range(Int(open.start), previousEnd))
            }
            read()
            let value = parseExpression()
            items.append(ObjectItem(key: key, value: value, usesColon: separator.kind == .colon))
            let next = peek()
            if next.kind == .closeBrace { break }
            if next.kind == .endOfFile {
                error("Unterminated object", "There is no closing brace for this object.", range(open))
                return HCLExpression(.object(items), range: range(Int(open.start), previousEnd))
            }
            if next.kind == .comma || next.kind == .newline {
                read()
                continue
            }
            error(
                "Missing attribute separator",
                "Expected a newline or comma to mark the beginning of the next attribute.", range(next),
                context: range(from: open, to: next))
            recover(to: .closeBrace)
            return HCLExpression(.object(items), range: range(Int(open.start), previousEnd))
        }
        let close = read()
        if close.kind != .closeBrace {
            error("Unterminated object", "There is no closing brace for this object.", range(open))
        }
        return HCLExpression(.object(items), range: range(Int(open.start), previousEnd))
    }

    mutating func parseFor(open: Token, object: Bool) -> HCLExpression {
        let close: TokenKind = object ? .closeBrace : .closeBracket
        read()  // for
        func fail(_ parser: inout ParserState, _ detail: String, _ token: Token) -> HCLExpression {
            parser.error("Invalid 'for' expression", detail, parser.range(token))
            parser.recover(to: close)
            return HCLExpression(.invalid, range: parser.range(Int(open.start), parser.previousEnd))
        }
        var first = peek()
        guard first.kind == .identifier else {
            return fail(&self, "For expression requires variable name after 'for'.", first)
        }
        read()
        var keyVariable: String?
        var valueVariable = text(first)
        if peek().kind == .comma {
            read()
            first = peek()
            guard first.kind == .identifier else {
                return fail(&self, "For expression requires value variable name after comma.", first)
            }
            read()
            keyVariable = valueVariable
            valueVariable = text(first)
        }
        guard isKeyword(peek(), "in") else {
            return fail(&self, "For expression requires the 'in' keyword after its name declarations.", peek())
        }
        read()
        let collection = parseExpression()
        guard peek().kind == .colon else {
            return fail(&self, "For expression requires a colon after the collection expression.", peek())
        }
        read()
        var keyExpression: HCLExpression?
        let valueExpression: HCLExpression
        var grouping = false
        if object {
            keyExpression = parseExpression()
            guard peek().kind == .fatArrow else {
                return fail(&self, "Key expression in 'for' expression must be followed by '=>'.", peek())
            }
            read()
            valueExpression = parseExpression()
            if peek().kind == .ellipsis {
                read()
                grouping = true
            }
        } else {
            valueExpression = parseExpression()
        }
        var condition: HCLExpression?
        if isKeyword(peek(), "if") {
            read()
            condition = parseExpression()
        }
        let end = peek()
        guard end.kind == close else {
            let what = object ? "'}'" : "']'"
            return fail(&self, "Extra characters after the end of the 'for' expression; expected \(what).", end)
        }
        read()
        let forExpression = ForExpression(
            keyVariable: keyVariable, valueVariable: valueVariable, collection: collection,
            keyExpression: keyExpression, valueExpression: valueExpression, grouping: grouping, condition: condition)
        return HCLExpression(.forExpression(forExpression), range: range(Int(open.start), previousEnd))
    }
}
