/// An unsigned integer of any size, little-endian 64-bit limbs with no high zero limbs.
struct BigUInt: Hashable, Sendable, Comparable {
    var limbs: [UInt64]

    init(_ value: UInt64 = 0) { limbs = value == 0 ? [] : [value] }
    init(limbs: [UInt64]) {
        self.limbs = limbs
        normalize()
    }

    mutating func normalize() {
        while let last = limbs.last, last == 0 { limbs.removeLast() }
    }

    var isZero: Bool { limbs.isEmpty }
    var isOdd: Bool { (limbs.first ?? 0) & 1 == 1 }

    /// Number of significant bits.
    var bitWidth: Int {
        guard let last = limbs.last else { return 0 }
        return limbs.count * 64 - last.leadingZeroBitCount
    }

    func bit(_ index: Int) -> Bool {
        guard index >= 0, index / 64 < limbs.count else { return false }
        return (limbs[index / 64] >> UInt64(index % 64)) & 1 == 1
    }

    /// Whether any bit below `index` is set.
    func anyBitBelow(_ index: Int) -> Bool {
        guard index > 0 else { return false }
        let whole = min(index / 64, limbs.count)
        for position in 0..<whole where limbs[position] != 0 { return true }
        guard whole < limbs.count, index % 64 > 0 else { return false }
        return limbs[whole] & ((1 << UInt64(index % 64)) - 1) != 0
    }

    var trailingZeroBitCount: Int {
        for (position, limb) in limbs.enumerated() where limb != 0 {
            return position * 64 + limb.trailingZeroBitCount
        }
        return 0
    }

    static func < (lhs: BigUInt, rhs: BigUInt) -> Bool { compare(lhs, rhs) < 0 }

    static func compare(_ lhs: BigUInt, _ rhs: BigUInt) -> Int {
        if lhs.limbs.count != rhs.limbs.count { return lhs.limbs.count < rhs.limbs.count ? -1 : 1 }
        for position in stride(from: lhs.limbs.count - 1, through: 0, by: -1)
        where lhs.limbs[position] != rhs.limbs[position] {
            return lhs.limbs[position] < rhs.limbs[position] ? -1 : 1
        }
        return 0
    }

    static func + (lhs: BigUInt, rhs: BigUInt) -> BigUInt {
        var result = [UInt64](repeating: 0, count: max(lhs.limbs.count, rhs.limbs.count) + 1)
        var carry: UInt64 = 0
        for position in 0..<(result.count - 1) {
            let a = position < lhs.limbs.count ? lhs.limbs[position] : 0
            let b = position < rhs.limbs.count ? rhs.limbs[position] : 0
            let (sum1, overflow1) = a.addingReportingOverflow(b)
            let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
            result[position] = sum2
            carry = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
        }
        result[result.count - 1] = carry
        return BigUInt(limbs: result)
    }

    /// `lhs - rhs`; `lhs` must not be smaller.
    static func - (lhs: BigUInt, rhs: BigUInt) -> BigUInt {
        var result = lhs.limbs
        var borrow: UInt64 = 0
        for position in 0..<result.count {
            let b = position < rhs.limbs.count ? rhs.limbs[position] : 0
            let (difference1, overflow1) = result[position].subtractingReportingOverflow(b)
            let (difference2, overflow2) = difference1.subtractingReportingOverflow(borrow)
            result[position] = difference2
            borrow = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
        }
        return BigUInt(limbs: result)
    }

    static func * (lhs: BigUInt, rhs: BigUInt) -> BigUInt {
        if lhs.isZero || rhs.isZero { return BigUInt() }
        var result = [UInt64](repeating: 0, count: lhs.limbs.count + rhs.limbs.count)
        for (i, a) in lhs.limbs.enumerated() {
            var carry: UInt64 = 0
            for (j, b) in rhs.limbs.enumerated() {
                let (high, low) = a.multipliedFullWidth(by: b)
                let (sum1, overflow1) = low.addingReportingOverflow(result[i + j])
                let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
                result[i + j] = sum2
                carry = high &+ (overflow1 ? 1 : 0) &+ (overflow2 ? 1 : 0)
            }
            result[i + rhs.limbs.count] = carry
        }
        return BigUInt(limbs: result)
    }

    static func << (lhs: BigUInt, shift: Int) -> BigUInt {
        guard shift > 0, !lhs.isZero else { return lhs }
        let whole = shift / 64
        let part = UInt64(shift % 64)
        var result = [UInt64](repeating: 0, count: lhs.limbs.count + whole + 1)
        for (position, limb) in lhs.limbs.enumerated() {
            result[position + whole] |= part == 0 ? limb : limb << part
            if part > 0 { result[position + whole + 1] |= limb >> (64 - part) }
        }
        return BigUInt(limbs: result)
    }

    static func >> (lhs: BigUInt, shift: Int) -> BigUInt {
        guard shift > 0 else { return lhs }
        let whole = shift / 64
        guard whole < lhs.limbs.count else { return BigUInt() }
        let part = UInt64(shift % 64)
        var result = [UInt64](repeating: 0, count: lhs.limbs.count - whole)
        for position in 0..<result.count {
            let limb = lhs.limbs[position + whole]
            result[position] = part == 0 ? limb : limb >> part
            if part > 0, position + whole + 1 < lhs.limbs.count {
                result[position] |= lhs.limbs[position + whole + 1] << (64 - part)
            }
        }
        return BigUInt(limbs: result)
    }

    /// Quotient and remainder by a small divisor.
    func divided(by divisor: UInt64) -> (quotient: BigUInt, remainder: UInt64) {
        var result = [UInt64](repeating: 0, count: limbs.count)
        var remainder: UInt64 = 0
        for position in stride(from: limbs.count - 1, through: 0, by: -1) {
            let (quotient, rest) = divisor.dividingFullWidth((remainder, limbs[position]))
            result[position] = quotient
            remainder = rest
        }
        return (BigUInt(limbs: result), remainder)
    }

    /// Quotient and remainder, by binary long division (the numbers here are a few hundred bits).
    func divided(by divisor: BigUInt) -> (quotient: BigUInt, remainder: BigUInt) {
        precondition(!divisor.isZero)
        if divisor.limbs.count == 1 {
            let (quotient, remainder) = divided(by: divisor.limbs[0])
            return (quotient, BigUInt(remainder))
        }
        if self < divisor { return (BigUInt(), self) }
        var quotient = [UInt64](repeating: 0, count: limbs.count)
        var remainder = BigUInt()
        for index in stride(from: bitWidth - 1, through: 0, by: -1) {
            remainder = remainder << 1
            if bit(index) {
                if remainder.limbs.isEmpty { remainder.limbs = [1] } else { remainder.limbs[0] |= 1 }
            }
            if !(remainder < divisor) {
                remainder = remainder - divisor
                quotient[index / 64] |= 1 << UInt64(index % 64)
            }
        }
        return (BigUInt(limbs: quotient), remainder)
    }

    static func power(of base: UInt64, _ exponent: Int) -> BigUInt {
        var result = BigUInt(1)
        var square = BigUInt(base)
        var remaining = exponent
        while remaining > 0 {
            if remaining & 1 == 1 { result = result * square }
            remaining >>= 1
            if remaining > 0 { square = square * square }
        }
        return result
    }

    /// Decimal digits.
    var decimal: String {
        if isZero { return "0" }
        var chunks: [UInt64] = []
        var rest = self
        let base: UInt64 = 10_000_000_000_000_000_000
        while !rest.isZero {
            let (quotient, remainder) = rest.divided(by: base)
            chunks.append(remainder)
            rest = quotient
        }
        var text = String(chunks.last!)
        for chunk in chunks.dropLast().reversed() {
            let digits = String(chunk)
            text += String(repeating: "0", count: 19 - digits.count) + digits
        }
        return text
    }

    init?(decimal text: Substring) {
        var value = BigUInt()
        var chunk: UInt64 = 0
        var chunkDigits = 0
        for character in text.utf8 {
            guard character >= 48, character <= 57 else { return nil }
            chunk = chunk * 10 + UInt64(character - 48)
            chunkDigits += 1
            if chunkDigits == 19 {
                value = value * BigUInt(10_000_000_000_000_000_000) + BigUInt(chunk)
                chunk = 0
                chunkDigits = 0
            }
        }
        if chunkDigits > 0 { value = value * BigUInt.power(of: 10, chunkDigits) + BigUInt(chunk) }
        self = value
    }
}

/// A number as Terraform keeps it: binary floating point with a 512-bit mantissa, rounded to nearest even,
/// like Go's `big.Float` at the precision cty uses. `0.1 + 0.2 == 0.3` is true at this precision, and
/// integers up to 2^512 are exact.
public struct Number: Hashable, Sendable, Comparable, CustomStringConvertible {
    static let precision = 512

    var negative: Bool
    /// Odd, or zero; at most 512 bits.
    var mantissa: BigUInt
    var exponent: Int

    init(negative: Bool, mantissa: BigUInt, exponent: Int) {
        self.negative = negative
        self.mantissa = mantissa
        self.exponent = exponent
    }

    public static let zero = Number(negative: false, mantissa: BigUInt(), exponent: 0)

    public init(_ value: Int) {
        self = Number.rounded(negative: value < 0, mantissa: BigUInt(UInt64(value.magnitude)), exponent: 0)
    }

    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        if value == 0 {
            self = .zero
            return
        }
        let significand = value.significandBitPattern | (value.isNormal ? 1 << 52 : 0)
        let exponent = Int(value.exponent) - 52 + (value.isNormal ? 0 : 1)
        self = Number.rounded(negative: value < 0, mantissa: BigUInt(significand), exponent: exponent)
    }

    public var isZero: Bool { mantissa.isZero }
    public var isNegative: Bool { negative && !isZero }

    /// Rounds `mantissa × 2^exponent` to 512 bits; `sticky` says the true value is a little more.
    static func rounded(negative: Bool, mantissa: BigUInt, exponent: Int, sticky: Bool = false) -> Number {
        if mantissa.isZero { return .zero }
        var mantissa = mantissa
        var exponent = exponent
        let width = mantissa.bitWidth
        if width > precision {
            let shift = width - precision
            let half = mantissa.bit(shift - 1)
            let lower = sticky || mantissa.anyBitBelow(shift - 1)
            mantissa = mantissa >> shift
            exponent += shift
            if half && (lower || mantissa.isOdd) {
                mantissa = mantissa + BigUInt(1)
                if mantissa.bitWidth > precision {
                    mantissa = mantissa >> 1
                    exponent += 1
                }
            }
        }
        let zeros = mantissa.trailingZeroBitCount
        if zeros > 0 {
            mantissa = mantissa >> zeros
            exponent += zeros
        }
        return Number(negative: negative, mantissa: mantissa, exponent: exponent)
    }

    /// Parses an HCL or JSON number literal (`-12.5e3`), rounded correctly to 512 bits.
    public init?(_ text: String) {
        var body = Substring(text)
        var negative = false
        if body.first == "-" {
            negative = true
            body = body.dropFirst()
        } else if body.first == "+" {
            body = body.dropFirst()
        }
        var exponent = 0
        if let marker = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let value = Int(body[body.index(after: marker)...]), abs(value) < 100_000 else { return nil }
            exponent = value
            body = body[..<marker]
        }
        var digits = body
        if let dot = body.firstIndex(of: ".") {
            let fraction = body[body.index(after: dot)...]
            exponent -= fraction.count
            digits = Substring(String(body[..<dot]) + String(fraction))
        }
        guard !digits.isEmpty, let integer = BigUInt(decimal: digits) else { return nil }
        self = Number.scaled(negative: negative, integer, decimalExponent: exponent)
    }

    /// `integer × 10^decimalExponent`, correctly rounded.
    static func scaled(negative: Bool, _ integer: BigUInt, decimalExponent: Int) -> Number {
        if integer.isZero { return .zero }
        if decimalExponent >= 0 {
            return rounded(
                negative: negative, mantissa: integer * BigUInt.power(of: 10, decimalExponent), exponent: 0)
        }
        let divisor = BigUInt.power(of: 10, -decimalExponent)
        let shift = max(0, precision + 2 + divisor.bitWidth - integer.bitWidth)
        let (quotient, remainder) = (integer << shift).divided(by: divisor)
        return rounded(negative: negative, mantissa: quotient, exponent: -shift, sticky: !remainder.isZero)
    }

    public static prefix func - (value: Number) -> Number {
        value.isZero ? value : Number(negative: !value.negative, mantissa: value.mantissa, exponent: value.exponent)
    }

    public static func + (lhs: Number, rhs: Number) -> Number {
        if lhs.isZero { return rhs }
        if rhs.isZero { return lhs }
        // A tiny operand cannot change a correctly rounded sum of a 512-bit value.
        let lhsTop = lhs.exponent + lhs.mantissa.bitWidth
        let rhsTop = rhs.exponent + rhs.mantissa.bitWidth
        if lhsTop - rhsTop > precision + 4, rhsTop < lhs.exponent { return lhs }
        if rhsTop - lhsTop > precision + 4, lhsTop < rhs.exponent { return rhs }
        let exponent = min(lhs.exponent, rhs.exponent)
        let a = lhs.mantissa << (lhs.exponent - exponent)
        let b = rhs.mantissa << (rhs.exponent - exponent)
        if lhs.negative == rhs.negative {
            return rounded(negative: lhs.negative, mantissa: a + b, exponent: exponent)
        }
        let order = BigUInt.compare(a, b)
        if order == 0 { return .zero }
        return order > 0
            ? rounded(negative: lhs.negative, mantissa: a - b, exponent: exponent)
            : rounded(negative: rhs.negative, mantissa: b - a, exponent: exponent)
    }

    public static func - (lhs: Number, rhs: Number) -> Number { lhs + (-rhs) }

    public static func * (lhs: Number, rhs: Number) -> Number {
        rounded(
            negative: lhs.negative != rhs.negative, mantissa: lhs.mantissa * rhs.mantissa,
            exponent: lhs.exponent + rhs.exponent)
    }

    /// The quotient, or `nil` when dividing by zero.
    public static func / (lhs: Number, rhs: Number) -> Number? {
        if rhs.isZero { return nil }
        if lhs.isZero { return .zero }
        let shift = max(0, precision + 2 + rhs.mantissa.bitWidth - lhs.mantissa.bitWidth)
        let (quotient, remainder) = (lhs.mantissa << shift).divided(by: rhs.mantissa)
        return rounded(
            negative: lhs.negative != rhs.negative, mantissa: quotient, exponent: lhs.exponent - rhs.exponent - shift,
            sticky: !remainder.isZero)
    }

    /// The remainder as cty computes it: `a - b × trunc(a / b)`, each step rounded; `a % 0` is `a`.
    public static func % (lhs: Number, rhs: Number) -> Number {
        guard let ratio = lhs / rhs else { return lhs }
        return lhs - rhs * ratio.truncated
    }

    /// Rounded toward zero to an integer.
    public var truncated: Number {
        if exponent >= 0 || isZero { return self }
        return Number.rounded(negative: negative, mantissa: mantissa >> -exponent, exponent: 0)
    }

    public var floor: Number {
        let whole = truncated
        return negative && whole != self ? whole - Number(1) : whole
    }

    public var ceiling: Number {
        let whole = truncated
        return !negative && whole != self ? whole + Number(1) : whole
    }

    public var isInteger: Bool { exponent >= 0 || isZero }

    /// The value as an `Int`, when it is an integer that fits.
    public var intValue: Int? {
        guard isInteger else { return nil }
        if isZero { return 0 }
        guard mantissa.bitWidth + exponent <= 63 else { return nil }
        let magnitude = Int((mantissa << exponent).limbs[0])
        return negative ? -magnitude : magnitude
    }

    /// The nearest `Double`.
    public var doubleValue: Double {
        if isZero { return 0 }
        let width = mantissa.bitWidth
        let shift = max(0, width - 64)
        let top = (mantissa >> shift).limbs.first ?? 0
        let value = Double(top) * pow2(exponent + shift)
        return negative ? -value : value
    }

    private func pow2(_ power: Int) -> Double {
        if power > 1100 { return .infinity }
        if power < -1200 { return 0 }
        return Double(sign: .plus, exponent: power, significand: 1)
    }

    public static func < (lhs: Number, rhs: Number) -> Bool {
        let difference = lhs - rhs
        return difference.isNegative
    }

    /// The shortest decimal that reads back as this number, without an exponent (`0.1`, `4.5`, `1000`).
    public var description: String {
        if isZero { return "0" }
        let sign = negative ? "-" : ""
        if exponent >= 0 { return sign + (mantissa << exponent).decimal }
        // Exact: mantissa × 2^exponent = mantissa × 5^-exponent / 10^-exponent.
        let digits = Array((mantissa * BigUInt.power(of: 5, -exponent)).decimal.utf8)
        let pointFromRight = -exponent
        var low = 1
        var high = digits.count
        while low < high {
            let middle = (low + high) / 2
            if Number.roundTrips(digits, count: middle, pointFromRight: pointFromRight, target: self) {
                high = middle
            } else {
                low = middle + 1
            }
        }
        let (kept, carry) = Number.roundDigits(digits, count: low)
        var significant = kept
        var point = pointFromRight - (digits.count - low)
        if carry {
            significant.insert(UInt8(ascii: "1"), at: 0)
        }
        while point > 0, significant.last == UInt8(ascii: "0") {
            significant.removeLast()
            point -= 1
        }
        var text: String
        if point <= 0 {
            text = String(decoding: significant, as: UTF8.self) + String(repeating: "0", count: -point)
        } else if point >= significant.count {
            text =
                "0." + String(repeating: "0", count: point - significant.count)
                + String(decoding: significant, as: UTF8.self)
        } else {
            let whole = significant.count - point
            text =
                String(decoding: significant[..<whole], as: UTF8.self) + "."
                + String(decoding: significant[whole...], as: UTF8.self)
        }
        return sign + text
    }

    /// The first `count` digits rounded half-even on the rest; `carry` when they overflowed to one more digit.
    static func roundDigits(_ digits: [UInt8], count: Int) -> ([UInt8], carry: Bool) {
        var kept = Array(digits[..<count])
        guard count < digits.count else { return (kept, false) }
        let next = digits[count]
        let restNonZero = digits[(count + 1)...].contains { $0 != UInt8(ascii: "0") }
        let lastOdd = (kept.last ?? 48) % 2 == 1
        let roundUp = next > UInt8(ascii: "5") || (next == UInt8(ascii: "5") && (restNonZero || lastOdd))
        guard roundUp else { return (kept, false) }
        var position = kept.count - 1
        while position >= 0 {
            if kept[position] == UInt8(ascii: "9") {
                kept[position] = UInt8(ascii: "0")
                position -= 1
            } else {
                kept[position] += 1
                return (kept, false)
            }
        }
        return (kept, true)
    }

    static func roundTrips(_ digits: [UInt8], count: Int, pointFromRight: Int, target: Number) -> Bool {
        let (kept, carry) = roundDigits(digits, count: count)
        let integer =
            BigUInt(decimal: Substring(String(decoding: (carry ? [49] : []) + kept, as: UTF8.self))) ?? BigUInt()
        let candidate = scaled(
            negative: target.negative, integer, decimalExponent: digits.count - count - pointFromRight)
        return candidate == target
    }
}
