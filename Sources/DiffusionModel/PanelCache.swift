import Foundation
import Kernels
#if canImport(Glibc)
import Glibc
#endif

/// Packed weight panels saved to a file and mapped read-only on the next load, so a model is not
/// repacked every time it loads (a 0.5B model took ~3 s to pack). The file: "UNMASKP1", a UInt64
/// header length, a JSON header {key, matrices: [{rows, cols, format, offset, bytes, scales?}]}, then
/// each matrix's panels (and int8 scales) at 4096-aligned offsets. The key names the weight files
/// (names, sizes, times), the precision and the panel layout version: any change rebuilds the file.
final class PanelCache: @unchecked Sendable {
    static let magic = Array("UNMASKP1".utf8)
    /// Bump when `PackedMatrix`'s layout changes.
    static let layoutVersion = 3

    struct Entry: Codable { let rows: Int; let cols: Int; let format: String; let offset: Int; let bytes: Int; let scales: Int? }
    struct Header: Codable { let key: String; let matrices: [Entry] }

    private let base: UnsafeMutableRawPointer
    private let length: Int
    private let entries: [Entry]
    private var next = 0

    private init(base: UnsafeMutableRawPointer, length: Int, entries: [Entry]) { self.base = base; self.length = length; self.entries = entries }
    deinit { munmap(base, length) }

    /// The mapped cache at `path` when its key is `key`; nil when absent, stale or unreadable.
    static func open(path: String, key: String) -> PanelCache? {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 16 else { return nil }
        let length = Int(st.st_size)
        guard let m = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else { return nil }
        let raw = UnsafeRawBufferPointer(start: m, count: length)
        let headerLength = Int(raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian)
        guard Array(raw[0..<8]) == magic, headerLength > 0, 16 + headerLength <= length,
              let h = try? JSONDecoder().decode(Header.self, from: Data(raw[16..<(16 + headerLength)])), h.key == key,
              h.matrices.allSatisfy({ e in e.offset >= 0 && e.offset + e.bytes <= length && (e.scales.map { $0 >= 0 && $0 + (e.rows + 15) / 16 * 64 <= length } ?? true) }) else {
            munmap(m, length); return nil
        }
        return PanelCache(base: m, length: length, entries: h.matrices)
    }

    /// The next matrix, which must have this shape and format (else the cache does not fit: nil).
    func take(rows: Int, cols: Int, format: PackedMatrix.Format) -> PackedMatrix? {
        guard next < entries.count else { return nil }
        let e = entries[next]
        guard e.rows == rows, e.cols == cols, e.format == format.rawValue else { return nil }
        next += 1
        let scales = e.scales.map { (base + $0).assumingMemoryBound(to: Float.self) }
        return PackedMatrix(rows: rows, cols: cols, format: format, existing: base + e.offset, scales: scales)
    }

    var complete: Bool { next == entries.count }

    /// Writes `matrices` to `path` (through a temporary file and a rename, so a reader never sees half).
    static func write(path: String, key: String, matrices: [PackedMatrix]) throws {
        var entries: [Entry] = []
        var offset = 0
        func align(_ x: Int) -> Int { (x + 4095) / 4096 * 4096 }
        // Offsets are fixed once the header's size is known; two passes with a generous header bound.
        for pass in 0..<2 {
            entries = []
            offset = align(16 + (pass == 0 ? 0 : try JSONEncoder().encode(Header(key: key, matrices: entries)).count) + 65536)
            for m in matrices {
                let bytes = m.panelCount * m.panelBytes
                var e = Entry(rows: m.rows, cols: m.cols, format: m.format.rawValue, offset: offset, bytes: bytes, scales: nil)
                offset = align(offset + bytes)
                if m.scales != nil { e = Entry(rows: e.rows, cols: e.cols, format: e.format, offset: e.offset, bytes: e.bytes, scales: offset); offset = align(offset + m.panelCount * 64) }
                entries.append(e)
            }
        }
        let header = try JSONEncoder().encode(Header(key: key, matrices: entries))
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tmp = path + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp) else {
            throw ModelError.weights("cannot write the panel cache \(tmp)")
        }
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        var head = Data(magic)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { head.append(contentsOf: $0) }
        head.append(header)
        try h.write(contentsOf: head)
        for (m, e) in zip(matrices, entries) {
            try h.seek(toOffset: UInt64(e.offset))
            try h.write(contentsOf: Data(bytesNoCopy: m.storage, count: e.bytes, deallocator: .none))
            if let s = m.scales, let so = e.scales {
                try h.seek(toOffset: UInt64(so))
                try h.write(contentsOf: Data(bytesNoCopy: s, count: m.panelCount * 64, deallocator: .none))
            }
        }
        try h.truncate(atOffset: UInt64(offset))
        try h.close()
        guard rename(tmp, path) == 0 else { throw ModelError.weights("cannot rename the panel cache into \(path)") }
    }
}
