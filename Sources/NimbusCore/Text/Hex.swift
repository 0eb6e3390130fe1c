public import Foundation

/// Lowercase hexadecimal, two digits a byte: digests, signatures, random ids.
public enum Hex {
    @usableFromInline static let digits = Array("0123456789abcdef".utf8)

    /// Appends `bytes` as hex digits to `output`.
    @inlinable
    public static func append(_ bytes: some ContiguousBytes, to output: inout [UInt8]) {
        bytes.withUnsafeBytes { raw in
            let start = output.count
            output.append(contentsOf: repeatElement(UInt8(0), count: raw.count * 2))
            digits.withUnsafeBufferPointer { digits in
                output.withUnsafeMutableBufferPointer { buffer in
                    for (index, byte) in raw.enumerated() {
                        buffer[start + 2 * index] = digits[Int(byte >> 4)]
                        buffer[start + 2 * index + 1] = digits[Int(byte & 0x0F)]
                    }
                }
            }
        }
    }

    /// `bytes` as hex digits.
    @inlinable
    public static func string(_ bytes: some ContiguousBytes) -> String {
        var output = [UInt8]()
        output.reserveCapacity(64)
        append(bytes, to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}
