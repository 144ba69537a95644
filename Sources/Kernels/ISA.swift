import Foundation
import CKernels

/// The instruction-set path the GEMM runs on, chosen once at start-up from CPUID and the OS's saved
/// state (`unmask_cpu_features`), or forced with `UNMASK_ISA=portable|avx2|avx512|avx512vnni|avx512bf16` for tests and
/// comparisons (a path the CPU cannot run is refused with a message, never tried).
public enum ISA: String, Sendable, CaseIterable, Comparable {
    /// Generic SIMD code, no CPU-specific micro-kernel (what `UNMASK_PORTABLE=1` builds run).
    case portable
    /// AVX2 + FMA: the 6×16 micro-kernel of `SIMD8<Float>`; BF16 and int8 weights widened to F32.
    case avx2
    /// AVX-512F/BW/VL/DQ: F32 weights and attention's F32 products on a 6×32 tile of 16-lane FMAs;
    /// BF16 and int8 weights as on AVX2.
    case avx512
    /// AVX512-VNNI: int8 weights multiplied with `vpdpbusd` by activations quantised to 8 bits per
    /// 128 k (int32 accumulation per group); F32 as on AVX-512, BF16 weights as on AVX2.
    case avx512vnni
    /// AVX512-BF16 (every CPU with it also has VNNI): BF16 weights multiplied with `vdpbf16ps` by activations rounded to BF16, F32
    /// accumulation (twice the multiply rate of F32 FMA on the same registers).
    case avx512bf16

    public static func < (a: ISA, b: ISA) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }

    /// What this CPU and OS can run, in order.
    public static let supported: [ISA] = {
        #if arch(x86_64)
        let f = unmask_cpu_features()
        var s: [ISA] = [.portable]
        if f & UInt32(UNMASK_CPU_AVX2) != 0 { s.append(.avx2) }
        if f & UInt32(UNMASK_CPU_AVX512F) != 0 { s.append(.avx512) }
        if f & UInt32(UNMASK_CPU_AVX512VNNI) != 0 { s.append(.avx512vnni) }
        if f & UInt32(UNMASK_CPU_AVX512BF16) != 0 && f & UInt32(UNMASK_CPU_AVX512VNNI) != 0 { s.append(.avx512bf16) }
        return s
        #else
        return [.portable]
        #endif
    }()

    /// Whether int8 weights take the VNNI tile on `isa`.
    public static func vnni(_ isa: ISA) -> Bool { isa >= .avx512vnni && supported.contains(.avx512vnni) }

    /// The path in use: `UNMASK_ISA` when set (and runnable), else the best the CPU supports.
    public static let current: ISA = {
        if let forced = ProcessInfo.processInfo.environment["UNMASK_ISA"], !forced.isEmpty, let isa = ISA(rawValue: forced), supported.contains(isa) {
            return isa
        }
        return supported.last!
    }()

    /// A problem with `UNMASK_ISA` or with this build on this CPU, for the executable to report before
    /// any kernel runs; nil when all is well.
    public static var problem: String? {
        if let forced = ProcessInfo.processInfo.environment["UNMASK_ISA"], !forced.isEmpty {
            guard let isa = ISA(rawValue: forced) else { return "UNMASK_ISA=\(forced) is not one of \(allCases.map(\.rawValue).joined(separator: ", "))" }
            if !supported.contains(isa) { return "UNMASK_ISA=\(forced): this CPU cannot run it (it supports \(supported.map(\.rawValue).joined(separator: ", ")))" }
        }
        if builtForAVX2 && !supported.contains(.avx2) {
            return "this build of unmask uses AVX2+FMA, which this CPU (\(cpuName)) lacks. Hint: rebuild with UNMASK_PORTABLE=1 swift build -c release"
        }
        return nil
    }

    /// The kernels were compiled with `-target-cpu haswell` (`Package.swift`), so every SIMD op assumes AVX2+FMA.
    public static var builtForAVX2: Bool {
        #if UNMASK_AVX2
        return true
        #else
        return false
        #endif
    }

    /// The CPU's brand string.
    public static let cpuName: String = {
        #if arch(x86_64)
        var buf = [CChar](repeating: 0, count: 49)
        unmask_cpu_brand(&buf)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        #else
        return "unknown"
        #endif
    }()

    /// For `doctor` and benchmarks: the path, what else the CPU offers, and the CPU.
    public static var summary: String {
        "\(current.rawValue) (supported: \(supported.map(\.rawValue).joined(separator: ", ")); \(cpuName))"
    }
}
