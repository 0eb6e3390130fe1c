import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// File-system errors in plain words. Foundation's errors print as "The operation couldn’t be completed.
/// (NSCocoaErrorDomain error 512.)", which tells a person nothing; this says what the system said.
public enum FileErrorText {
    /// "permission denied", "no such file or directory", "a file is in the way", … for any error thrown by
    /// Foundation's file APIs or by a system call.
    public static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return posix(Int32(underlying.code))
        }
        if nsError.domain == NSPOSIXErrorDomain { return posix(Int32(nsError.code)) }
        guard nsError.domain == NSCocoaErrorDomain else { return "\(error)" }
        switch CocoaError.Code(rawValue: nsError.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or directory"
        case .fileWriteFileExists: return "a file is in the way"
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on the device"
        case .fileWriteVolumeReadOnly: return "the file system is read-only"
        case .fileReadCorruptFile: return "the file is damaged or not in the expected format"
        case .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding:
            return "the text is not in the expected encoding"
        case .fileReadTooLarge: return "the file is too large"
        case .fileLocking: return "the file is locked"
        default: return "the file system refused (code \(nsError.code))"
        }
    }

    /// The system's words for an errno value.
    public static func posix(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
