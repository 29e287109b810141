import Glibc

/// The standard streams, descriptors 0, 1 and 2, kept open. One a parent closed would be the next
/// descriptor this process opens (a socket, libdispatch's epoll or eventfd), and what is meant
/// for it would go there: a value of eight bytes written to "stdout" that is an eventfd is taken
/// without an error, and lost. A closed one becomes `/dev/null` opened read-only: reads give end
/// of file and writes fail (`EBADF`), as they would have on the closed descriptor.
public enum StandardStreams {
    /// Opens `/dev/null` on each standard descriptor that is closed; first thing in `main`,
    /// before any other descriptor is opened or thread started.
    public static func keepOpen() {
        for descriptor in Int32(0)...2 where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            // The lowest free descriptor: this one, as those below it are open.
            let opened = open("/dev/null", O_RDONLY)
            if opened >= 0, opened != descriptor {
                _ = dup2(opened, descriptor)
                _ = close(opened)
            }
        }
    }
}
