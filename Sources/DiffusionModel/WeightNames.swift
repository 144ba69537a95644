/// Tensor names of each family, exactly as the checkpoints spell them.
public struct WeightNames: Sendable {
    public let embed: String, finalNorm: String, lmHead: String
    let layer: @Sendable (Int, Part) -> String

    public enum Part: Sendable {
        case attnNorm, q, k, v, o, qBias, kBias, vBias, oBias, qNorm, kNorm, mlpNorm, gate, up, down
    }

    public func name(layer i: Int, _ p: Part) -> String { layer(i, p) }

    public static func forFamily(_ f: ModelFamily) -> WeightNames {
        switch f {
        case .qwen2, .qwen3, .llama:
            return WeightNames(embed: "model.embed_tokens.weight", finalNorm: "model.norm.weight", lmHead: "lm_head.weight") { i, p in
                let l = "model.layers.\(i)."
                switch p {
                case .attnNorm: return l + "input_layernorm.weight"
                case .q: return l + "self_attn.q_proj.weight"
                case .k: return l + "self_attn.k_proj.weight"
                case .v: return l + "self_attn.v_proj.weight"
                case .o: return l + "self_attn.o_proj.weight"
                case .qBias: return l + "self_attn.q_proj.bias"
                case .kBias: return l + "self_attn.k_proj.bias"
                case .vBias: return l + "self_attn.v_proj.bias"
                case .oBias: return l + "self_attn.o_proj.bias"
                case .qNorm: return l + "self_attn.q_norm.weight"
                case .kNorm: return l + "self_attn.k_norm.weight"
                case .mlpNorm: return l + "post_attention_layernorm.weight"
                case .gate: return l + "mlp.gate_proj.weight"
                case .up: return l + "mlp.up_proj.weight"
                case .down: return l + "mlp.down_proj.weight"
                }
            }
        case .llada:
            return WeightNames(embed: "model.transformer.wte.weight", finalNorm: "model.transformer.ln_f.weight", lmHead: "model.transformer.ff_out.weight") { i, p in
                let l = "model.transformer.blocks.\(i)."
                switch p {
                case .attnNorm: return l + "attn_norm.weight"
                case .q: return l + "q_proj.weight"
                case .k: return l + "k_proj.weight"
                case .v: return l + "v_proj.weight"
                case .o: return l + "attn_out.weight"
                case .qBias: return l + "q_proj.bias"
                case .kBias: return l + "k_proj.bias"
                case .vBias: return l + "v_proj.bias"
                case .oBias: return l + "attn_out.bias"
                case .qNorm: return l + "q_norm.weight"
                case .kNorm: return l + "k_norm.weight"
                case .mlpNorm: return l + "ff_norm.weight"
                case .gate: return l + "ff_proj.weight"
                case .up: return l + "up_proj.weight"
                case .down: return l + "ff_out.weight"
                }
            }
        }
    }
}
