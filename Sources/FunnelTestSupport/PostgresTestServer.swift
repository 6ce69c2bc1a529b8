import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The PostgreSQL server the backend tests use: `$FUNNEL_POSTGRES_URL`, else the local server
/// that `scripts/start-postgres` starts. Tests skip when it is unreachable, except in CI.
public enum PostgresTestServer {
    public static var url: String {
        ProcessInfo.processInfo.environment["FUNNEL_POSTGRES_URL"] ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    }

    /// True in CI (where an absent server must fail the tests) or when the server accepts a TCP connection.
    public static var isAvailable: Bool {
        if PythonPeer.isCI { return true }
        guard let components = URLComponents(string: url), let host = components.host else { return false }
        return canConnect(host: host == "localhost" ? "127.0.0.1" : host, port: components.port ?? 5432)
    }

    static func canConnect(host: String, port: Int) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return false }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        #else
        return false
        #endif
    }

    public static let missingMessage = "no PostgreSQL server at $FUNNEL_POSTGRES_URL or 127.0.0.1:5432 (scripts/start-postgres starts one)"
}
