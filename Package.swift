// swift-tools-version:6.0
// Unmask: a masked-diffusion code-completion language server. No package dependencies.
import PackageDescription
import Foundation

// The compute kernels need AVX2+FMA code generation: without a target CPU, `SIMD8.addingProduct`
// lowers to scalar `fmaf` calls (~1 GFLOPS instead of 115-160). `UNMASK_PORTABLE=1 swift build`
// drops the haswell (AVX2+FMA) target for other CPUs; the kernels then use their portable path.
let portable = ProcessInfo.processInfo.environment["UNMASK_PORTABLE"] == "1"
// The numeric targets are optimised in debug builds too: unoptimised, the 6x16 micro-kernel is ~100x
// slower and every test that runs a model took seconds to minutes under `swift test` (59 s -> 9 s).
// Targets that parse untrusted input keep the release build's checks (-O, not -Ounchecked).
let debugOptimised: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]
let optimised: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))] + debugOptimised
#if arch(x86_64)
let fastFlags: [SwiftSetting] = portable ? optimised : [.unsafeFlags(["-target-cpu", "haswell"]), .define("UNMASK_AVX2")] + optimised
#else
let fastFlags: [SwiftSetting] = optimised
#endif

let package = Package(
    name: "Unmask",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "unmask", targets: ["unmask"]),
    ],
    targets: [
        // C for the micro-kernels Swift cannot express (vdpbf16ps, vpdpbusd) and the CPU feature check; each
        // function carries its own target attribute and runs only after the run-time check.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "Kernels", dependencies: ["CKernels"], swiftSettings: fastFlags),
        .target(name: "SafeTensors"),
        .target(name: "Tokenizer", swiftSettings: debugOptimised),
        .target(name: "DiffusionModel", dependencies: ["Kernels", "SafeTensors"], swiftSettings: fastFlags),
        .target(name: "Denoiser", dependencies: ["DiffusionModel", "Kernels"], swiftSettings: debugOptimised),
        .target(name: "Completion", dependencies: ["Denoiser", "DiffusionModel", "SafeTensors", "Tokenizer", "Kernels"]),
        .target(name: "LSP"),
        .target(name: "Server", dependencies: ["LSP", "Completion"]),
        .target(name: "DevTools", dependencies: ["Completion", "Denoiser", "DiffusionModel", "Tokenizer", "Kernels"], swiftSettings: fastFlags),
        .executableTarget(name: "unmask", dependencies: ["DevTools", "Server", "Completion", "DiffusionModel", "Tokenizer", "SafeTensors", "LSP", "Kernels"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"], swiftSettings: fastFlags),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"]),
        .testTarget(name: "DiffusionModelTests", dependencies: ["DiffusionModel", "SafeTensors", "Kernels"]),
        .testTarget(name: "DenoiserTests", dependencies: ["Denoiser", "DiffusionModel", "SafeTensors", "Kernels"]),
        .testTarget(name: "CompletionTests", dependencies: ["Completion", "Denoiser", "DiffusionModel", "Tokenizer"]),
        .testTarget(name: "LSPTests", dependencies: ["LSP"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "LSP", "Completion"]),
    ]
)
