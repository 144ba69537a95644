/// A weight matrix `W` of shape [rows = out_features, cols = in_features] (PyTorch `nn.Linear` layout)
/// repacked once at load time for `y = x · Wᵀ`.
///
/// Layout: `panelCount = ceil(rows / 16)` panels; panel `p` holds output features `16p ..< 16p+16`
/// as `[cols][16]` floats (zero-padded past `rows`), so the micro-kernel streams 16 consecutive
/// floats per reduction step. Size: `panelCount * 16 * cols` floats.
public struct PackedMatrix: @unchecked Sendable {
    public static let panelWidth = 16
    public let rows: Int          // out_features (N)
    public let cols: Int          // in_features (K)
    public let panelCount: Int
    public let storage: UnsafeMutablePointer<Float>   // [panelCount][cols][16]

    /// Packs from a row-major [rows, cols] source read through `element(row, col)`.
    public init(rows: Int, cols: Int, element: (Int, Int) -> Float) {
        self.rows = rows; self.cols = cols
        panelCount = (rows + 15) / 16
        storage = .allocate(capacity: panelCount * 16 * cols)
        storage.initialize(repeating: 0, count: panelCount * 16 * cols)
        for r in 0..<rows {
            let p = r / 16, lane = r % 16
            let base = storage + p * 16 * cols + lane
            for c in 0..<cols { base[c * 16] = element(r, c) }
        }
    }

    /// Packs from a contiguous row-major F32 buffer [rows, cols].
    public init(rows: Int, cols: Int, rowMajor src: UnsafePointer<Float>) {
        self.init(rows: rows, cols: cols) { r, c in src[r * cols + c] }
    }

    public var byteCount: Int { panelCount * 16 * cols * MemoryLayout<Float>.size }

    /// Element `W[r, c]` (for tests and slow paths).
    public func element(_ r: Int, _ c: Int) -> Float { storage[(r / 16) * 16 * cols + c * 16 + r % 16] }

    public func deallocate() { storage.deallocate() }
}
