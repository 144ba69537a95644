// swift-tools-version:6.0
// Unmask: a masked-diffusion code-completion language server. No package dependencies.
import PackageDescription
import Foundation

// The compute kernels need AVX2+FMA code generation: without a target CPU, `SIMD8.addingProduct`
// lowers to scalar `fmaf` calls (~1 GFLOPS instead of 115-160). `UNMASK_PORTABLE=1 swift build`
// drops the haswell (AVX2+FMA) target for other CPUs; the kernels then use their portable path.
let portable = ProcessInfo.processInfo.environment["UNMASK_PORTABLE"] == "1"
#if arch(x86_64)
let fastFlags: [SwiftSetting] = portable ? [] : [
    .unsafeFlags(["-target-cpu", "haswell"]),
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]
#else
let fastFlags: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
#endif

let package = Package(
    name: "Unmask",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "unmask", targets: ["unmask"]),
    ],
    targets: [
        .target(name: "Kernels", swiftSettings: fastFlags),
        .target(name: "SafeTensors"),
        .target(name: "Tokenizer"),
        .target(name: "DiffusionModel", dependencies: ["Kernels", "SafeTensors"], swiftSettings: fastFlags),
        .target(name: "Denoiser", dependencies: ["DiffusionModel", "Kernels"]),
        .target(name: "Completion", dependencies: ["Denoiser", "DiffusionModel", "SafeTensors", "Tokenizer"]),
        .target(name: "LSP"),
        .target(name: "Server", dependencies: ["LSP", "Completion"]),
        .target(name: "DevTools", dependencies: ["Completion", "Denoiser", "DiffusionModel", "Tokenizer", "Kernels"], swiftSettings: fastFlags),
        .executableTarget(name: "unmask", dependencies: ["DevTools", "Server", "Completion", "DiffusionModel", "Tokenizer", "SafeTensors", "LSP"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"], swiftSettings: fastFlags),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"]),
        .testTarget(name: "DiffusionModelTests", dependencies: ["DiffusionModel", "SafeTensors"]),
        .testTarget(name: "DenoiserTests", dependencies: ["Denoiser", "DiffusionModel"]),
        .testTarget(name: "CompletionTests", dependencies: ["Completion", "Denoiser", "DiffusionModel", "Tokenizer"]),
        .testTarget(name: "LSPTests", dependencies: ["LSP"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "LSP", "Completion"]),
    ]
)
