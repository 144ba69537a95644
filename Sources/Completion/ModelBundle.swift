import Foundation
import DiffusionModel
import Denoiser
import SafeTensors
import Tokenizer

/// A loaded model folder: config, weights and tokenizer, checked against each other.
public final class ModelBundle: @unchecked Sendable {
    public let directory: String
    public let config: ModelConfig
    public let model: DiffusionTransformer
    public let tokenizer: Tokenizer
    public let maskID: Int32
    /// Ids the sampler must never produce (mask, padding rows beyond the tokenizer, non-end specials).
    public let forbidden: Set<Int32>
    /// The window the model was trained on (`unmask_context_window` in our own config), if known.
    public let contextWindow: Int?
    public let loadMilliseconds: Double
    public let warnings: [String]

    /// `memoryAvailable`: what the system can give (checked against `MemoryEstimate` before the weights
    /// are mapped); nil skips the check.
    public init(directory: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                weights: DiffusionTransformer.WeightPrecision = .stored, memoryAvailable: Int? = MemoryEstimate.availableBytes()) throws {
        let t0 = ContinuousClock.now
        self.directory = directory
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw ModelError.configUnreadable(path: directory, reason: "no such folder")
        }
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        var cfg = try ModelConfig.load(path: configPath)
        let tok: Tokenizer
        do { tok = try Tokenizer.load(directory: directory) } catch { throw ModelError.weights("\(error)") }
        if tok.vocabularySize > cfg.vocabSize {
            throw ModelError.vocabularyMismatch(configVocab: cfg.vocabSize, tokenizerVocab: tok.vocabularySize,
                                                hint: "The tokenizer has ids the embedding table lacks: tokenizer and weights come from different models.")
        }
        if cfg.maskTokenID == nil { cfg.maskTokenID = tok.roleID("mask_token") ?? tok.id(of: "<|mask|>") ?? tok.id(of: "<|mdm_mask|>") }
        if cfg.padTokenID == nil { cfg.padTokenID = tok.roleID("pad_token") }
        if cfg.eosTokenID == nil { cfg.eosTokenID = tok.roleID("eos_token") }
        if cfg.expandTokenID == nil, let ex = tok.id(of: "<|expand|>") { cfg.expandTokenID = ex }
        guard let mask = cfg.maskTokenID else { throw DenoiserError.noMaskToken(model: directory) }
        maskID = mask
        let ckpt: Checkpoint
        do { ckpt = try Checkpoint(directory: directory) } catch { throw ModelError.weights("\(error)") }
        let storedBF16 = ckpt.storedDType(WeightNames.forFamily(cfg.family).embed) == "BF16"
        try MemoryEstimate(config: cfg, precision: weights, storedBF16: storedBF16)
            .check(available: memoryAvailable, model: directory, config: cfg, storedBF16: storedBF16)
        model = try DiffusionTransformer(config: cfg, weights: ckpt, pool: .init(threads: threads), precision: weights,
                                         panelCache: Self.panelCacheFile(directory: directory, configPath: configPath, checkpoint: ckpt, precision: weights))
        config = cfg; tokenizer = tok
        var forb: Set<Int32> = [mask]
        let ends = Set([cfg.padTokenID, cfg.eosTokenID].compactMap { $0 })
        for t in tok.addedTokens where t.special && !ends.contains(t.id) && t.id != cfg.expandTokenID { forb.insert(t.id) }
        forbidden = forb
        let raw = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath)))) as? [String: Any]
        contextWindow = (raw?["unmask_context_window"] as? NSNumber)?.intValue
        warnings = tok.warnings
        loadMilliseconds = Double((ContinuousClock.now - t0).components.attoseconds) / 1e15 + Double((ContinuousClock.now - t0).components.seconds) * 1000
    }

    /// Where this model's packed panels are kept between loads: `.unmask-cache/` in the model folder when
    /// it can be written, else `$XDG_CACHE_HOME/unmask` (or `~/.cache/unmask`); `UNMASK_PANEL_CACHE=0` turns it off.
    static func panelCacheFile(directory: String, configPath: String, checkpoint: Checkpoint, precision: DiffusionTransformer.WeightPrecision) -> (path: String, key: String)? {
        let env = ProcessInfo.processInfo.environment
        if env["UNMASK_PANEL_CACHE"] == "0" { return nil }
        let config = (try? Data(contentsOf: URL(fileURLWithPath: configPath))) ?? Data()
        var h: UInt64 = 0xcbf29ce484222325
        for b in config { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        let key = "config \(String(h, radix: 16)) weights \(checkpoint.fingerprint)"
        let name = "panels-\(precision.rawValue).bin"
        if FileManager.default.isWritableFile(atPath: directory) {
            return ((directory as NSString).appendingPathComponent(".unmask-cache/\(name)"), key)
        }
        let base = env["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        var d: UInt64 = 0xcbf29ce484222325
        for b in URL(fileURLWithPath: directory).standardizedFileURL.path.utf8 { d = (d ^ UInt64(b)) &* 0x100000001b3 }
        return (base.appendingPathComponent("unmask/\(String(d, radix: 16))-\(name)").path, key)
    }

    /// The family's boundary tokens around `prefix … suffix` (Dream/DreamOn: `[bos] … [eos]`;
    /// LLaDA: `[bos] …`; our own model: `<|endoftext|>` only where the file really starts/ends).
    public func boundaries(prefixIsFileStart: Bool, suffixIsFileEnd: Bool) -> (leading: [Int32], trailing: [Int32]) {
        switch config.family {
        case .llada:
            return (tokenizer.roleID("bos_token").map { [$0] } ?? [], [])
        case .qwen2 where config.architecture == "DreamModel":
            return (config.bosTokenID.map { [$0] } ?? [], config.eosTokenID.map { [$0] } ?? [])
        default:
            let eos = config.eosTokenID ?? config.padTokenID
            return (prefixIsFileStart ? eos.map { [$0] } ?? [] : [], suffixIsFileEnd ? eos.map { [$0] } ?? [] : [])
        }
    }

    /// Largest canvas this model should see.
    public var canvasLimit: Int { min(contextWindow ?? model.maxPositions, model.maxPositions) }
}
