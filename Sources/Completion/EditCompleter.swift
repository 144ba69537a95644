/// Fill (a selection, or every `TODO`/`<mask>` marker in it jointly), infill (a hole of a given size,
/// the shape of `unmask fill` and of the evaluations) and rewrite (the enclosing function's body).
struct EditCompleter {
    let decoder: LocalDecoder
    let post = PostProcessor()
    let finder = FunctionFinder()

    var bundle: ModelBundle { decoder.bundle }
    var maxTokens: Int { decoder.settings.maxTokens }

    func fill(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        let sel = r.selection ?? (r.cursor..<r.cursor)
        let selected = r.slice(sel)
        let holes = Self.markerHoles(in: selected, at: sel.lowerBound)
        if holes.isEmpty {
            let n = sel.isEmpty ? min(maxTokens, HoleSizes.fill)
                : min(max(bundle.tokenizer.encode(selected, special: .none).count + HoleSizes.selectionSlack, HoleSizes.selectionMinimum),
                      maxTokens * HoleSizes.selectionCapFactor)
            let f = try decoder.denoise(r, hole: sel, maskCount: n, cancel: cancel, onFrame: onFrame)
            if f.cancelled { return .cancelled }
            let text = post.clean(f.text, shape: .free, following: Substring(r.slice(sel.upperBound..<r.utf8.count)))
            return CompletionResult(edits: [CompletionEdit(range: sel, newText: text)], early: f.early, forwards: f.forwards)
        }
        // Template: fixed tokens between holes, `per` masks per hole.
        let per = min(maxTokens, HoleSizes.perMarker)
        var template: [Int32] = []
        var cursor = holes[0].lowerBound
        for (i, h) in holes.enumerated() {
            if i > 0 { template += bundle.tokenizer.encode(r.slice(cursor..<h.lowerBound), special: .none) }
            template += [Int32](repeating: bundle.maskID, count: per)
            cursor = h.upperBound
        }
        let f = try decoder.denoise(r, hole: holes[0].lowerBound..<holes.last!.upperBound, maskCount: template.count, template: template,
                                    cancel: cancel, onFrame: onFrame)
        if f.cancelled { return .cancelled }
        let edits = zip(holes, f.holes).map { CompletionEdit(range: $0, newText: post.clean($1, shape: .free, following: "")) }
        return CompletionResult(edits: edits, early: f.early, forwards: f.forwards)
    }

    /// Every marker inside `selected` (which starts at document offset `base`), in document order.
    static func markerHoles(in selected: String, at base: Int) -> [Swift.Range<Int>] {
        var holes: [Swift.Range<Int>] = []
        for m in HoleSizes.markers {
            var from = selected.startIndex
            while let hit = selected.range(of: m, range: from..<selected.endIndex) {
                let lo = base + selected.utf8.distance(from: selected.startIndex, to: hit.lowerBound)
                holes.append(lo..<(lo + m.utf8.count)); from = hit.upperBound
            }
        }
        return holes.sorted { $0.lowerBound < $1.lowerBound }
    }

    func infill(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        let hole = r.selection ?? (r.cursor..<r.cursor)
        let n = r.holeTokens ?? min(maxTokens, HoleSizes.fill)
        guard n > 0 else { throw CompletionError.nothingToDo("the hole has 0 tokens; give a positive size") }
        let f = try decoder.denoise(r, hole: hole, maskCount: n, cancel: cancel, onFrame: onFrame)
        if f.cancelled { return .cancelled }
        var text = f.text
        if let m = r.maxLines {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count > m { text = lines.prefix(m).joined(separator: "\n") + "\n" }
        }
        return CompletionResult(edits: [CompletionEdit(range: hole, newText: text)], early: f.early, forwards: f.forwards)
    }

    /// The body re-masked and denoised, proposed only through the gate: the same bracket signature and
    /// margin as the original (`CodeShape`) and a mean log-probability at least the original's; else
    /// nothing, with the reason. Only the changed bytes come back.
    func rewrite(_ r: CompletionRequest, cancel: CancellationToken, onFrame: (CanvasFrame) -> Void) throws -> CompletionResult {
        guard let body = r.selection.flatMap({ $0.isEmpty ? nil : $0 }) ?? finder.enclosingBody(in: r.text, at: r.cursor, languageID: r.languageID) else {
            throw CompletionError.nothingToDo("no enclosing function found at the cursor; select the code to rewrite")
        }
        let old = Array(r.utf8[body])
        let n = min(bundle.tokenizer.encode(r.slice(body), special: .none).count + HoleSizes.rewriteSlack, HoleSizes.rewriteCap)
        let f = try decoder.denoise(r, hole: body, maskCount: n, cancel: cancel, onFrame: onFrame)
        if f.cancelled { return .cancelled }
        var result = CompletionResult(edits: [], early: f.early, forwards: f.forwards)
        let new = Array(f.text.utf8)
        guard let edit = Repairer.minimalEdit(old: old, new: new, at: body.lowerBound) else {
            result.explanation = "the rewrite is the original code"; return result
        }
        if let why = CodeShape.problem(old: old, new: new, languageID: r.languageID) {
            result.explanation = "rewrite not proposed: \(why)"; return result
        }
        let scorer = RegionScorer(decoder: decoder)
        guard let a = try scorer.score(r, region: body, text: old, forwards: &result.forwards, cancel: cancel),
              let b = try scorer.score(r, region: body, text: new, forwards: &result.forwards, cancel: cancel) else { return .cancelled }
        if b.mean < a.mean {
            result.explanation = String(format: "rewrite not proposed: the model finds it less likely than the original (mean log p %.2f vs %.2f)", b.mean, a.mean)
            return result
        }
        result.edits = [edit]
        return result
    }
}
