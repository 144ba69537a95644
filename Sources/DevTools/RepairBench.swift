import Foundation
import Completion

/// `unmask bench repair`: repair (and the rewrite gate) on held-out code. Regions of 12 lines around
/// each case's line in held-out files of every corpus language, clean and with one injected error each:
/// a character dropped from an identifier used elsewhere in the file, a swapped comparison operator,
/// an integer literal off by one. Reports the share of clean lines changed, the share of errors fixed,
/// and the share of changed lines that are fixes, with Wilson 95 % intervals.
enum RepairBench {
    static let help = """
    usage: unmask bench repair [CASES.jsonl] [--per-language N] [--rewrite] [model and repair options]

    CASES defaults to training/eval/line.jsonl (held-out files; never trained on). N regions per language
    (default 20). --rewrite also runs rewrite on the clean regions and reports how many proposals the gate
    let through and the lines they change. --repair-suspicion and --repair-margin override the settings.
    """

    enum Injection: String, CaseIterable { case identifier, comparison, literal }

    struct Region {
        var language: String
        var file: [UInt8]
        var range: Swift.Range<Int>
    }

    static func run(_ argv: ArraySlice<String>) -> Int32 {
        do {
            let a = try Arguments(argv, valued: Common.modelOptions.union(["per-language"]), switches: Common.modelSwitches.union(["rewrite"]))
            if a.switches.contains("help") { Output.out(help); return 0 }
            let path = a.positional.first ?? "training/eval/line.jsonl"
            let per = try a.int("per-language") ?? 20
            let regions = try loadRegions(path, perLanguage: per)
            guard !regions.isEmpty else { throw Arguments.Failure(description: "\(path) holds no usable cases (prompt, suffix, canonical_solution, language)") }
            let (backend, settings) = try Common.backend(a)
            var rng = SplitMix(seed: 7)
            var cleanLines = 0, cleanChanged = 0, cleanRegionsChanged = 0
            var fixed: [Injection: (Int, Int)] = [:], changedLines = 0, fixLines = 0
            var byLanguage: [String: [String: Int]] = [:]
            var rewriteProposed = 0, rewriteRefused = 0, rewriteLines = 0, rewriteChanged = 0
            let t0 = ContinuousClock.now
            for (n, reg) in regions.enumerated() {
                let clean = Array(reg.file[reg.range])
                let out = try repaired(backend, settings, reg.file, reg.range, reg.language)
                let d = diffLines(clean, out)
                cleanLines += d.total; cleanChanged += d.changed
                if d.changed > 0 { cleanRegionsChanged += 1 }
                byLanguage[reg.language, default: [:]]["clean_lines", default: 0] += d.total
                byLanguage[reg.language, default: [:]]["clean_changed", default: 0] += d.changed
                for kind in Injection.allCases {
                    guard let (file, range) = inject(kind, reg, &rng) else { continue }
                    let broken = Array(file[range])
                    let out = try repaired(backend, settings, file, range, reg.language)
                    let ok = out == clean
                    fixed[kind, default: (0, 0)].0 += ok ? 1 : 0; fixed[kind, default: (0, 0)].1 += 1
                    byLanguage[reg.language, default: [:]]["\(kind.rawValue)_fixed", default: 0] += ok ? 1 : 0
                    byLanguage[reg.language, default: [:]]["\(kind.rawValue)_cases", default: 0] += 1
                    let c = changedLinePairs(broken, out)
                    changedLines += c.count
                    let cleanSplit = lines(clean)
                    fixLines += c.filter { $0.index < cleanSplit.count && $0.line == cleanSplit[$0.index] }.count
                }
                if a.switches.contains("rewrite") {
                    var r = CompletionRequest(kind: .rewrite, uri: "bench://\(n)", version: 0, languageID: reg.language, utf8: reg.file,
                                              cursor: reg.range.lowerBound, selection: reg.range)
                    r.deadline = nil
                    let res = try backend.complete(r, settings: settings, cancel: CancellationToken(), onFrame: { _ in })
                    if res.edits.isEmpty { if res.explanation?.hasPrefix("rewrite not proposed") == true { rewriteRefused += 1 } }
                    else {
                        rewriteProposed += 1
                        let d = diffLines(clean, apply(res.edits, to: reg.file, range: reg.range))
                        rewriteLines += d.total; rewriteChanged += d.changed
                    }
                }
                Output.err(String(format: "\r%d/%d regions, clean lines changed %d/%d, fixed %d", n + 1, regions.count, cleanChanged, cleanLines,
                                  fixed.values.reduce(0) { $0 + $1.0 }), terminator: "")
            }
            Output.err("")
            let seconds = Double((ContinuousClock.now - t0) / .milliseconds(1)) / 1000
            func share(_ k: Int, _ n: Int) -> [String: Any] { ["value": n > 0 ? Double(k) / Double(n) : 0, "k": k, "n": n, "ci95": EvalCommand.wilson(k, n)] }
            var o: [String: Any] = [
                "regions": regions.count, "languages": Array(Set(regions.map(\.language))).sorted(), "seconds": seconds,
                "clean_lines_changed": share(cleanChanged, cleanLines), "clean_regions_changed": share(cleanRegionsChanged, regions.count),
                "changed_lines_that_are_fixes": share(fixLines, changedLines),
                "fixed": Dictionary(uniqueKeysWithValues: fixed.map { ($0.key.rawValue, share($0.value.0, $0.value.1)) }),
                "by_language": byLanguage, "repair_suspicion": settings.repairSuspicion, "repair_margin": settings.repairMargin,
            ]
            if a.switches.contains("rewrite") {
                o["rewrite"] = ["proposed": rewriteProposed, "refused_by_gate": rewriteRefused, "regions": regions.count,
                                "lines_changed_in_proposals": share(rewriteChanged, rewriteLines)] as [String: Any]
            }
            Output.out(String(format: "clean lines changed %.2f %% (%d/%d), identifier typos fixed %@, comparisons %@, literals %@, changed lines that are fixes %.0f %% (%d/%d)",
                              100 * Double(cleanChanged) / Double(max(1, cleanLines)), cleanChanged, cleanLines,
                              fraction(fixed[.identifier]), fraction(fixed[.comparison]), fraction(fixed[.literal]),
                              100 * Double(fixLines) / Double(max(1, changedLines)), fixLines, changedLines))
            Output.out(String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self))
            return 0
        } catch {
            Output.err("unmask bench repair: \(error)")
            return 1
        }
    }

    static func fraction(_ p: (Int, Int)?) -> String { p.map { "\($0.0)/\($0.1)" } ?? "0/0" }

    static func repaired(_ backend: Backend, _ settings: EngineSettings, _ file: [UInt8], _ range: Swift.Range<Int>, _ language: String) throws -> [UInt8] {
        let r = CompletionRequest(kind: .repair, uri: "bench://repair", version: 0, languageID: language, utf8: file, cursor: range.lowerBound, selection: range)
        let res = try backend.complete(r, settings: settings, cancel: CancellationToken(), onFrame: { _ in })
        return apply(res.edits, to: file, range: range)
    }

    /// The region's bytes after `edits` (document offsets, inside the region).
    static func apply(_ edits: [CompletionEdit], to file: [UInt8], range: Swift.Range<Int>) -> [UInt8] {
        var region = Array(file[range])
        for e in edits.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            let lo = max(0, e.range.lowerBound - range.lowerBound), hi = min(region.count, e.range.upperBound - range.lowerBound)
            guard lo <= hi else { continue }
            region.replaceSubrange(lo..<hi, with: Array(e.newText.utf8))
        }
        return region
    }

    static func lines(_ b: [UInt8]) -> [[UInt8]] { b.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init) }

    /// Lines of `a` and how many differ in `b` (a line count change counts every unmatched line).
    static func diffLines(_ a: [UInt8], _ b: [UInt8]) -> (total: Int, changed: Int) {
        let x = lines(a), y = lines(b)
        var changed = abs(x.count - y.count)
        for i in 0..<min(x.count, y.count) where x[i] != y[i] { changed += 1 }
        return (x.count, changed)
    }

    /// The lines of `after` that differ from `before`, with their index.
    static func changedLinePairs(_ before: [UInt8], _ after: [UInt8]) -> [(index: Int, line: [UInt8])] {
        let x = lines(before), y = lines(after)
        return y.indices.filter { $0 >= x.count || x[$0] != y[$0] }.map { ($0, y[$0]) }
    }

    // MARK: Regions and injections

    static func loadRegions(_ path: String, perLanguage: Int) throws -> [Region] {
        var taken: [String: Int] = [:], out: [Region] = []
        for line in try EvalCommand.readLines(path) {
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let prompt = o["prompt"] as? String, let suffix = o["suffix"] as? String, let truth = o["canonical_solution"] as? String,
                  let lang = o["language"] as? String, taken[lang, default: 0] < perLanguage else { continue }
            let file = Array((prompt + truth + suffix).utf8)
            // 12 lines: 5 before the case's line, the line, 6 after; whole lines, the last one's newline excluded.
            let starts = [0] + file.indices.filter { file[$0] == 0x0A }.map { $0 + 1 }
            guard let at = starts.lastIndex(where: { $0 <= prompt.utf8.count }), at >= 5, at + 7 < starts.count else { continue }
            let range = starts[at - 5]..<(starts[at + 7] - 1)
            let text = file[range]
            guard text.filter({ $0 == 0x0A }).count == 11, text.count < 1500, Identifiers(Array(text)).occurrences.count >= 4 else { continue }
            taken[lang, default: 0] += 1
            out.append(Region(language: lang, file: file, range: range))
        }
        return out
    }

    /// The file with one error of `kind` in the region, and the region's new range; nil when the region
    /// has no place for it.
    static func inject(_ kind: Injection, _ reg: Region, _ rng: inout SplitMix) -> ([UInt8], Swift.Range<Int>)? {
        let u = reg.file, r = reg.range
        var sites: [(Swift.Range<Int>, [UInt8])] = []
        switch kind {
        case .identifier:
            let ids = Identifiers(u).occurrences
            // Sorted: a dictionary's order changes from run to run, and the sites must not.
            for name in ids.keys.sorted() where name.utf8.count >= 5 && ids[name]!.count >= 2 {
                let ranges = ids[name]!
                for occ in ranges where r.contains(occ.lowerBound) && occ.upperBound <= r.upperBound {
                    var b = Array(name.utf8)
                    b.remove(at: 1 + Int(rng.next() % UInt64(b.count - 2)))
                    sites.append((occ, b))
                }
            }
        case .comparison:
            let swaps: [(String, String)] = [(" <= ", " >= "), (" >= ", " <= "), (" == ", " != "), (" != ", " == "), (" < ", " > "), (" > ", " < ")]
            var i = r.lowerBound
            while i < r.upperBound {
                if let s = swaps.first(where: { i + $0.0.utf8.count <= r.upperBound && Array(u[i..<(i + $0.0.utf8.count)]) == Array($0.0.utf8) }) {
                    sites.append((i..<(i + s.0.utf8.count), Array(s.1.utf8))); i += s.0.utf8.count
                } else { i += 1 }
            }
        case .literal:
            var i = r.lowerBound
            while i < r.upperBound {
                if u[i] >= 0x30 && u[i] <= 0x39 && (i == 0 || !(Identifiers.isPart(u[i - 1]) || u[i - 1] == 0x2E)) {
                    var j = i
                    while j < r.upperBound && u[j] >= 0x30 && u[j] <= 0x39 { j += 1 }
                    if j - i <= 6, j == u.count || !(Identifiers.isPart(u[j]) || u[j] == 0x2E), let v = Int(String(decoding: u[i..<j], as: UTF8.self)) {
                        sites.append((i..<j, Array(String(v + 1).utf8)))
                    }
                    i = j
                } else { i += 1 }
            }
        }
        guard !sites.isEmpty else { return nil }
        let (site, replacement) = sites[Int(rng.next() % UInt64(sites.count))]
        var file = u
        file.replaceSubrange(site, with: replacement)
        return (file, r.lowerBound..<(r.upperBound + replacement.count - site.count))
    }
}

/// SplitMix64: the bench's injections are the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
