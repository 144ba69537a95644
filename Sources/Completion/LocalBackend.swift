import Foundation
import Kernels

/// The local engine on a loaded model folder: each request kind is shaped into a canvas, denoised
/// with frames and cancellation, and post-processed.
public final class LocalBackend: Backend, @unchecked Sendable {
    public let bundle: ModelBundle
    let cache = SuggestionCache()
    let memory = ContextMemory()
    private let timings = RequestTimings()

    public init(bundle: ModelBundle) { self.bundle = bundle }

    public var summary: [String: String] {
        return [
            "backend": "local", "model": bundle.directory, "architecture": bundle.config.architecture, "family": bundle.config.family.rawValue,
            "parameters": String(format: "%.2f M", Double(bundle.config.parameterCount) / 1e6),
            "weightsMB": String(format: "%.1f", Double(bundle.model.weightBytes) / 1048576),
            "loadMs": String(format: "%.0f", bundle.loadMilliseconds), "shiftedLogits": "\(bundle.config.shiftedLogits)",
            "isa": ISA.summary,
            "lastTimings": timings.summary,
        ]
    }

    public func complete(_ r: CompletionRequest, settings: EngineSettings, cancel: CancellationToken,
                         onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        let t0 = ContinuousClock.now
        try r.validate()
        let decoder = LocalDecoder(bundle: bundle, settings: settings)
        var result: CompletionResult
        switch r.kind {
        case .inline:
            var inlineDecoder = decoder
            inlineDecoder.memory = memory
            result = try InlineCompleter(decoder: inlineDecoder, cache: cache).complete(r, cancel: cancel, onFrame: onFrame)
            if result.cached { return result }
        case .fill: result = try EditCompleter(decoder: decoder).fill(r, cancel: cancel, onFrame: onFrame)
        case .infill:
            var d = decoder
            if r.reuseContext { d.memory = memory }
            result = try EditCompleter(decoder: d).infill(r, cancel: cancel, onFrame: onFrame)
        case .rewrite: result = try EditCompleter(decoder: decoder).rewrite(r, cancel: cancel, onFrame: onFrame)
        case .repair: result = try Repairer(decoder: decoder).repair(r, cancel: cancel, onFrame: onFrame)
        case .nextEdit: result = try NextEditFinder(decoder: decoder).nextEdit(r, cancel: cancel, onFrame: onFrame)
        case .edit: result = try InstructionEditor(decoder: decoder).edit(r, cancel: cancel, onFrame: onFrame)
        }
        result.milliseconds = Double((ContinuousClock.now - t0) / .microseconds(1)) / 1000
        timings.record(r.kind, milliseconds: result.milliseconds)
        return result
    }
}
