import Foundation

/// Which `config.json` keys a family may carry, and which values of them change the maths in a way
/// the runtime does not implement. Loading refuses both, naming the key and value: a default in place
/// of an unread key would give wrong logits without a word (transformers ≥ 5's `rope_parameters` did
/// exactly that before it was read).
enum ConfigKeys {
    /// The largest size any config key may give (vocabulary, widths, layers, experts, positions): 2^24,
    /// beyond every published model, so that no product of sizes can overflow before the weights'
    /// shapes are checked.
    static let maximumSize: Double = 16_777_216

    /// Keys that never change the forward: bookkeeping, training, generation defaults, kernels
    /// (transformers' `PretrainedConfig` keys of 4.x and 5.x, and the training keys of the supported checkpoints).
    static let bookkeeping: Set<String> = [
        "_name_or_path", "_commit_hash", "_attn_implementation_autoset", "architectures", "auto_map", "model_type", "transformers_version",
        "torch_dtype", "dtype", "use_cache", "return_dict", "output_hidden_states", "output_attentions", "torchscript", "use_bfloat16",
        "tf_legacy_loss", "pruned_heads", "chunk_size_feed_forward", "is_encoder_decoder", "is_decoder", "cross_attention_hidden_size",
        "add_cross_attention", "tie_encoder_decoder", "max_length", "min_length", "do_sample", "early_stopping", "num_beams",
        "num_beam_groups", "diversity_penalty", "temperature", "top_k", "top_p", "typical_p", "repetition_penalty", "length_penalty",
        "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "bad_words_ids", "num_return_sequences", "output_scores",
        "return_dict_in_generate", "forced_bos_token_id", "forced_eos_token_id", "remove_invalid_values",
        "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens", "finetuning_task", "id2label", "label2id",
        "tokenizer_class", "prefix", "sep_token_id", "decoder_start_token_id", "task_specific_params", "problem_type",
        "initializer_range", "attention_dropout", "embedding_dropout", "residual_dropout", "hidden_dropout", "pretraining_tp",
        "attention_kernel", "flash_attention", "precision", "init_device", "init_fn", "init_std", "init_cutoff_factor",
        "block_group_size", "mlp_ratio", "alibi_bias_max", "rope_full_precision", "attention_layer_norm_with_affine",
        "block_masking_probability", "mask_block_sizes", "prefix_probability", "sampling_eps", "truncate_probability",
    ]

    /// Keys the config reader uses (`ModelConfig.init(json:path:)`, `RotaryEmbedding.read`) or checks
    /// below: the Hugging Face names (Qwen2, Qwen3, Llama) and LLaDA's OLMo names.
    static let huggingFace: Set<String> = ["hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size", "vocab_size",
                 "max_position_embeddings", "tie_word_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling", "rope_parameters", "head_dim",
                 "hidden_act", "attention_bias", "shift_logits", "mask_token_id", "pad_token_id", "eos_token_id", "bos_token_id",
                 "expand_token_id", "use_sliding_window", "sliding_window", "max_window_layers", "layer_types", "use_mrope",
                 "mlp_bias", "partial_rotary_factor"]
    static let llada: Set<String> = ["d_model", "n_layers", "n_heads", "n_kv_heads", "mlp_hidden_size", "embedding_size", "vocab_size", "max_sequence_length",
                 "weight_tying", "include_qkv_bias", "include_bias", "attention_layer_norm", "shift_logits", "mask_token_id", "rms_norm_eps",
                 "rope_theta", "rope_scaling", "rope_parameters", "pad_token_id", "eos_token_id", "bos_token_id", "activation_type",
                 "alibi", "rope", "input_emb_norm", "scale_logits", "layer_norm_type", "layer_norm_with_affine", "bias_for_layer_norm",
                 "block_type", "clip_qkv", "multi_query_attention", "partial_rotary_factor"]

    /// Keys of other architectures that change the maths, with what they would need; refused unless
    /// null, false or 0.
    static let otherMaths: [String: String] = [
        "attn_logit_softcapping": "attention logit soft-capping", "final_logit_softcapping": "final logit soft-capping",
        "query_pre_attn_scalar": "an attention scale other than 1/√head_dim", "logit_scale": "scaled logits", "logits_scaling": "scaled logits",
        "embedding_multiplier": "scaled embeddings", "residual_multiplier": "scaled residuals", "attention_multiplier": "a custom attention scale",
        "num_experts": "mixture-of-experts layers", "num_local_experts": "mixture-of-experts layers", "n_routed_experts": "mixture-of-experts layers",
        "num_experts_per_tok": "mixture-of-experts layers", "moe_intermediate_size": "mixture-of-experts layers",
        "quantization_config": "pre-quantised weights (use the BF16 checkpoint; weights: int8 quantises at load)",
        "use_qk_norm": "q/k norms this layout does not have", "qk_layernorm": "q/k norms this layout does not have",
    ]

    /// Refuses a key the family does not know and a known key whose value needs maths Unmask lacks.
    static func check(_ o: [String: Any], family: ModelFamily, path: String) throws {
        func refuse(_ k: String, _ reason: String) -> ModelError { .unimplementedConfig(path: path, key: k, value: "\(o[k] ?? "nil")", reason: reason) }
        func isSet(_ k: String) -> Bool {
            guard let v = o[k], !(v is NSNull) else { return false }
            if let n = v as? NSNumber { return n.doubleValue != 0 }      // false and 0 are NSNumber too
            return true
        }
        for k in o.keys.sorted() {
            if let reason = otherMaths[k] { if isSet(k) { throw refuse(k, reason) }; continue }
            let known = family == .llada ? llada : huggingFace
            if !bookkeeping.contains(k) && !known.contains(k) && !k.hasPrefix("_") && !k.hasPrefix("unmask_") {
                throw ModelError.unknownConfigKey(path: path, key: k, value: "\(o[k]!)")
            }
        }
        func flag(_ k: String) -> Bool? { o[k] as? Bool }
        switch family {
        case .llada:
            if flag("alibi") == true { throw refuse("alibi", "ALiBi attention biases") }
            if flag("rope") == false { throw refuse("rope", "a model without rotary embeddings") }
            if flag("input_emb_norm") == true { throw refuse("input_emb_norm", "a norm on the input embeddings") }
            if flag("scale_logits") == true { throw refuse("scale_logits", "logits scaled by 1/√d_model") }
            if let t = o["layer_norm_type"] as? String, t != "rms" { throw refuse("layer_norm_type", "norms other than RMSNorm") }
            if flag("layer_norm_with_affine") == false { throw refuse("layer_norm_with_affine", "norms without a weight") }
            if flag("bias_for_layer_norm") == true { throw refuse("bias_for_layer_norm", "norms with a bias") }
            if flag("attention_layer_norm") == true { throw refuse("attention_layer_norm", "q/k norms over d_model") }
            if flag("include_bias") == true { throw refuse("include_bias", "biases on every linear layer") }
            if isSet("clip_qkv") { throw refuse("clip_qkv", "q/k/v clipping") }
            if let b = o["block_type"] as? String, b != "llama" { throw refuse("block_type", "OLMo blocks other than llama (SwiGLU, separate q/k/v)") }
        case .qwen2, .qwen3, .llama:
            if flag("mlp_bias") == true { throw refuse("mlp_bias", "biases in the MLP") }
            if flag("use_mrope") == true { throw refuse("use_mrope", "multimodal RoPE") }
            if let types = o["layer_types"] {
                guard let list = types as? [String] else { throw refuse("layer_types", "a layer_types value that is not a list of names") }
                if let other = list.first(where: { $0 != "full_attention" }) { throw refuse("layer_types", "\(other) layers (only full_attention)") }
            } else if family != .llama, flag("use_sliding_window") == true, let window = o["sliding_window"] as? NSNumber {
                // transformers' Qwen2/Qwen3 configs: layers from max_window_layers on slide over `sliding_window` tokens.
                let from = (o["max_window_layers"] as? NSNumber)?.intValue ?? 28, layers = (o["num_hidden_layers"] as? NSNumber)?.intValue ?? 0
                if from < layers { throw refuse("use_sliding_window", "sliding-window attention (window \(window), layers \(from)..<\(layers))") }
            }
        }
        if let p = o["partial_rotary_factor"] as? NSNumber, p.doubleValue != 1 { throw refuse("partial_rotary_factor", "partial rotary embeddings") }
    }
}
