/// A weight matrix `W` of shape [rows = out_features, cols = in_features] (PyTorch `nn.Linear` layout)
/// repacked once at load time for `y = x · Wᵀ`.
///
/// Layout: `panelCount = ceil(rows / 16)` panels; panel `p` holds output features `16p ..< 16p+16` for
/// every reduction index k, so the micro-kernel streams one panel row per step (zero-padded past `rows`):
/// - `.f32`:  [panelCount][cols][16] floats (64 bytes per k);
/// - `.bf16`: [panelCount][kpairs = ⌈cols/2⌉][16] 32-bit words (32 bytes per k); word j of pair p
///   holds feature j at k = 2p in its low half and at k = 2p+1 in its high half: what `vdpbf16ps`
///   multiplies (16 features × a k-pair per ZMM register), and for the F32 paths `w << 16` /
///   `w & 0xFFFF0000` widen one k. BF16 keeps checkpoints stored in BF16 exact at half the memory.
/// - `.int8`: [panelCount][kquads = ⌈cols/4⌉][16][4] signed bytes (16 bytes per k): byte b of
///   feature j in quad q is k = 4q + b, what `vpdpbusd` multiplies (16 features × a k-quad per ZMM
///   register; the F32 paths shift one byte out), plus `scales` [panelCount·16] and `groupSums`
///   [panelCount][groups][16] (Σ q[r, k] over each group of `groupK` k, for the unsigned activations
///   of the VNNI path, which are scaled per group): symmetric per-row
///   quantisation, W[r, c] ≈ q[r, c] · scales[r] with scales[r] = max_c |W[r, c]| / 127. A quarter of
///   F32's memory; the kernels accumulate q·x and scale once per output.
public struct PackedMatrix: @unchecked Sendable {
    public enum Format: String, Sendable { case f32, bf16, int8 }
    public static let panelWidth = 16
    public let rows: Int          // out_features (N)
    public let cols: Int          // in_features (K)
    public let panelCount: Int
    public let format: Format
    public let storage: UnsafeMutableRawPointer
    /// `.int8` only: [panelCount·16] per-row scales (zero past `rows`).
    public let scales: UnsafeMutablePointer<Float>?
    /// `.int8` only: [panelCount][groups][16] Σ q[r, k] over k in group g (`groupK` k each), filled by
    /// `setRows` (or from existing panels); not part of the panel cache.
    public let groupSums: UnsafeMutablePointer<Int32>?
    /// The k per activation scale of the VNNI path (32 quads).
    public static let groupK = 128
    public var groups: Int { (cols + Self.groupK - 1) / Self.groupK }
    /// False for panels in memory this matrix does not own (a mapped panel cache).
    let owned: Bool

    public var bytesPerK: Int { Self.bytesPerK(format) }
    /// Bytes of one panel (BF16 pads an odd `cols` to a whole k-pair).
    public var panelBytes: Int { Self.panelBytes(format, cols: cols) }
    public var byteCount: Int { panelCount * panelBytes + (scales == nil ? 0 : panelCount * 16 * 4) }
    static func panelBytes(_ f: Format, cols: Int) -> Int {
        switch f {
        case .f32: return cols * 64
        case .bf16: return (cols + 1) / 2 * 64
        case .int8: return (cols + 3) / 4 * 64
        }
    }
    static func bytesPerK(_ f: Format) -> Int { f == .f32 ? 64 : f == .bf16 ? 32 : 16 }

    /// Panels that already exist (a mapped panel cache, laid out as `storage` and `scales` would be);
    /// not owned: `deallocate` leaves them.
    public init(rows: Int, cols: Int, format: Format, existing storage: UnsafeMutableRawPointer, scales: UnsafeMutablePointer<Float>?) {
        self.rows = rows; self.cols = cols; self.format = format; self.storage = storage; self.scales = scales
        panelCount = (rows + 15) / 16
        owned = false
        if format == .int8 {
            let groups = (cols + Self.groupK - 1) / Self.groupK
            groupSums = .allocate(capacity: panelCount * groups * 16)
            groupSums!.initialize(repeating: 0, count: panelCount * groups * 16)
            for r in 0..<rows { sumGroups(r) }
        } else { groupSums = nil }
    }

    /// A zeroed matrix to be filled with `setRows`.
    public init(rows: Int, cols: Int, format: Format = .f32) {
        self.rows = rows; self.cols = cols; self.format = format; owned = true
        panelCount = (rows + 15) / 16
        let bytes = panelCount * Self.panelBytes(format, cols: cols)
        storage = .allocate(byteCount: max(bytes, 1), alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        if format == .int8 {
            let s = UnsafeMutablePointer<Float>.allocate(capacity: panelCount * 16)
            s.initialize(repeating: 0, count: panelCount * 16)
            scales = s
            let groups = (cols + Self.groupK - 1) / Self.groupK
            groupSums = .allocate(capacity: panelCount * groups * 16)
            groupSums!.initialize(repeating: 0, count: panelCount * groups * 16)
        } else { scales = nil; groupSums = nil }
    }

    /// Row r's `groupSums` from its panel bytes.
    func sumGroups(_ r: Int) {
        let q = storage.assumingMemoryBound(to: Int8.self) + (r / 16) * panelBytes + (r % 16) * 4
        let out = groupSums! + (r / 16) * groups * 16 + r % 16
        for g in 0..<groups {
            var s: Int32 = 0
            for c in (g * Self.groupK)..<min(cols, (g + 1) * Self.groupK) { s += Int32(q[(c / 4) * 64 + (c & 3)]) }
            out[g * 16] = s
        }
    }

    /// Packs from a row-major [rows, cols] source read through `element(row, col)`.
    public init(rows: Int, cols: Int, format: Format = .f32, element: (Int, Int) -> Float) {
        self.init(rows: rows, cols: cols, format: format)
        setRows(0, count: rows, element: element)
    }

    /// Writes rows `offset ..< offset+count` from `element(rowWithinPart, col)` (fused matrices are
    /// packed part by part straight from their source, with no full-size temporary).
    public func setRows(_ offset: Int, count: Int, element: (Int, Int) -> Float) {
        switch format {
        case .f32:
            let f = storage.assumingMemoryBound(to: Float.self)
            for i in 0..<count {
                let r = offset + i
                let base = f + (r / 16) * 16 * cols + r % 16
                for c in 0..<cols { base[c * 16] = element(i, c) }
            }
        case .bf16:
            let h = storage.assumingMemoryBound(to: UInt16.self)
            let panelHalves = panelBytes / 2
            for i in 0..<count {
                let r = offset + i
                // Pair p, word `lane`: low half k = 2p, high half k = 2p+1 (little endian).
                let base = h + (r / 16) * panelHalves + (r % 16) * 2
                for c in 0..<cols { base[(c / 2) * 32 + (c & 1)] = Self.toBF16(element(i, c)) }
            }
        case .int8:
            let q = storage.assumingMemoryBound(to: Int8.self)
            for i in 0..<count {
                let r = offset + i
                var amax: Float = 0
                for c in 0..<cols { amax = max(amax, abs(element(i, c))) }
                let scale = amax / 127
                scales![r] = scale
                let inv: Float = scale > 0 ? 1 / scale : 0
                // Quad c/4, feature r%16, byte c%4.
                let base = q + (r / 16) * panelBytes + (r % 16) * 4
                for c in 0..<cols { base[(c / 4) * 64 + (c & 3)] = Int8(max(-127, min(127, (element(i, c) * inv).rounded()))) }
                sumGroups(r)
            }
        }
    }

    /// `.bf16` only: rows `offset ..< offset+count` copied from row-major BF16 bits `src` [count, cols]
    /// (2 bytes each, alignment not assumed), rows split over `pool`: a checkpoint stored in BF16 goes
    /// into its panels with no conversion (load time), exactly as `setRows` would put it.
    public func setRowsBF16(_ offset: Int, count: Int, bits src: UnsafeRawPointer, pool: ThreadPool) {
        precondition(format == .bf16)
        let h = storage.assumingMemoryBound(to: UInt16.self)
        let panelHalves = panelBytes / 2, cols = self.cols
        pool.forEachRange(count, minimumPerLane: 64) { rows in
            for i in rows {
                let r = offset + i
                let base = h + (r / 16) * panelHalves + (r % 16) * 2
                let row = src + i * cols * 2
                var c = 0
                while c + 1 < cols {
                    let pair = row.loadUnaligned(fromByteOffset: c * 2, as: UInt32.self)
                    (UnsafeMutableRawPointer(base + (c / 2) * 32)).storeBytes(of: pair, as: UInt32.self)
                    c += 2
                }
                if c < cols { base[(c / 2) * 32] = row.loadUnaligned(fromByteOffset: c * 2, as: UInt16.self) }
            }
        }
    }

    /// Packs from a contiguous row-major F32 buffer [rows, cols].
    public init(rows: Int, cols: Int, format: Format = .f32, rowMajor src: UnsafePointer<Float>) {
        self.init(rows: rows, cols: cols, format: format) { r, c in src[r * cols + c] }
    }

    /// Element `W[r, c]` (for tests, embedding lookups of tied weights, and slow paths).
    @inline(__always)
    public func element(_ r: Int, _ c: Int) -> Float {
        let lane = r % 16
        switch format {
        case .f32: return storage.assumingMemoryBound(to: Float.self)[(r / 16) * 16 * cols + c * 16 + lane]
        case .bf16:
            let h = storage.assumingMemoryBound(to: UInt16.self)[(r / 16) * (panelBytes / 2) + (c / 2) * 32 + lane * 2 + (c & 1)]
            return Float(bitPattern: UInt32(h) << 16)
        case .int8:
            return Float(storage.assumingMemoryBound(to: Int8.self)[(r / 16) * panelBytes + (c / 4) * 64 + lane * 4 + (c & 3)]) * scales![r]
        }
    }

    /// Round-to-nearest-even F32 → BF16 (exact for values that came from BF16).
    @inline(__always)
    static func toBF16(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        if x.isNaN { return UInt16(b >> 16) | 0x40 }
        return UInt16((b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    public func deallocate() {
        if owned { storage.deallocate(); scales?.deallocate() }
        groupSums?.deallocate()
    }
}

/// How the micro-kernels read one k-step (16 output features) of a panel as two SIMD8 halves.
protocol PanelFormat {
    static var bytesPerK: Int { get }
    /// Whether outputs are multiplied by the matrix's per-row `scales` (int8).
    static var scaled: Bool { get }
    static func load(_ b: UnsafeRawPointer, _ k: Int) -> (SIMD8<Float>, SIMD8<Float>)
}

enum F32Panel: PanelFormat {
    static var bytesPerK: Int { 64 }
    static var scaled: Bool { false }
    @inline(__always) static func load(_ b: UnsafeRawPointer, _ k: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        (b.loadUnaligned(fromByteOffset: k * 64, as: SIMD8<Float>.self), b.loadUnaligned(fromByteOffset: k * 64 + 32, as: SIMD8<Float>.self))
    }
}

enum BF16Panel: PanelFormat {
    static var bytesPerK: Int { 32 }
    static var scaled: Bool { false }
    /// k's half of its pair's 16 words (`b` at an even k; blocks start at even k).
    @inline(__always) static func load(_ b: UnsafeRawPointer, _ k: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        let base = (k >> 1) * 64
        let w0 = b.loadUnaligned(fromByteOffset: base, as: SIMD8<UInt32>.self), w1 = b.loadUnaligned(fromByteOffset: base + 32, as: SIMD8<UInt32>.self)
        if k & 1 == 0 { return (unsafeBitCast(w0 &<< 16, to: SIMD8<Float>.self), unsafeBitCast(w1 &<< 16, to: SIMD8<Float>.self)) }
        return (unsafeBitCast(w0 & 0xFFFF_0000, to: SIMD8<Float>.self), unsafeBitCast(w1 & 0xFFFF_0000, to: SIMD8<Float>.self))
    }
}

enum Int8Panel: PanelFormat {
    static var bytesPerK: Int { 16 }
    static var scaled: Bool { true }
    /// k's byte of its quad's 16 words, sign-extended (`b` at a k multiple of 4; blocks start at one).
    @inline(__always) static func load(_ b: UnsafeRawPointer, _ k: Int) -> (SIMD8<Float>, SIMD8<Float>) {
        let base = (k >> 2) * 64, shift = Int32(24 - 8 * (k & 3))
        let w0 = b.loadUnaligned(fromByteOffset: base, as: SIMD8<Int32>.self), w1 = b.loadUnaligned(fromByteOffset: base + 32, as: SIMD8<Int32>.self)
        return (SIMD8<Float>((w0 &<< shift) &>> 24), SIMD8<Float>((w1 &<< shift) &>> 24))
    }
}
