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

    /// `file.not_found`, `file.permission_denied` or `file.io` for an error of Foundation's file APIs or a system
    /// call; nil for any other error.
    public static func code(of error: any Error) -> ErrorCode? {
        var nsError = error as NSError
        guard nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain else { return nil }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            nsError = underlying
        }
        if nsError.domain == NSPOSIXErrorDomain {
            switch Int32(nsError.code) {
            case ENOENT, ENOTDIR: return ErrorCode("file", "not_found", .notFound)
            case EACCES, EPERM, EROFS: return ErrorCode("file", "permission_denied", .forbidden)
            default: return ErrorCode("file", "io", .internal)
            }
        }
        switch CocoaError.Code(rawValue: nsError.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return ErrorCode("file", "not_found", .notFound)
        case .fileWriteNoPermission, .fileReadNoPermission, .fileWriteVolumeReadOnly:
            return ErrorCode("file", "permission_denied", .forbidden)
        default: return ErrorCode("file", "io", .internal)
        }
    }

    /// The system's words for an errno value.
    public static func posix(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
