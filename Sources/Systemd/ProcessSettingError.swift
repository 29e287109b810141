/// A process setting the kernel refused (`prctl(2)`, `prlimit(2)`), with the `errno` it gave.
public struct ProcessSettingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was being set.
    public struct Code: Sendable, Equatable, CustomStringConvertible {
        private enum Value: String {
            case dumpable
            case fileDescriptorLimit
        }

        private let value: Value

        /// `prctl(PR_SET_DUMPABLE)` or `prctl(PR_GET_DUMPABLE)` failed.
        public static let dumpable = Code(value: .dumpable)
        /// `prlimit(RLIMIT_NOFILE)` failed.
        public static let fileDescriptorLimit = Code(value: .fileDescriptorLimit)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var errno: Int32

    public init(code: Code, message: String, errno: Int32) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { "\(code): \(message) (errno \(errno))" }
}
