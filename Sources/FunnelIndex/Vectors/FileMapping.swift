import Foundation

/// A whole file mapped copy-on-write: its pages come from the page cache, loaded when first read
/// and shared with every process that maps the same file; writes stay private to this mapping
/// and never reach the file.
final class FileMapping: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer

    init(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw IndexFileError(url.path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw IndexFileError(url.path, "cannot read its size: \(String(cString: strerror(errno)))") }
        let size = Int(info.st_size)
        guard size > 0 else { throw IndexFileError(url.path, "the file is empty") }
        guard let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw IndexFileError(url.path, "cannot map: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeMutableRawBufferPointer(start: address, count: size)
    }

    deinit { munmap(bytes.baseAddress, bytes.count) }
}
