/// Hole sizes per request shape, in slots (each capped by `maxTokens`), and the other constants of
/// request shaping, in one place.
enum HoleSizes {
    /// Mid-line (text right of the cursor stays): a short fill.
    static let midLine = 16
    /// Finish the cursor's line.
    static let finishLine = 32
    /// A blank line: the next lines, at most `nextLinesMaxLines` of them.
    static let nextLines = 48
    static let nextLinesMaxLines = 8
    /// An empty selection's fill, and the default `infill` hole.
    static let fill = 48
    /// A selection's fill: its own tokens plus `selectionSlack`, at least `selectionMinimum`, at most
    /// `selectionCapFactor` × maxTokens.
    static let selectionSlack = 8, selectionMinimum = 8, selectionCapFactor = 4
    /// Each `TODO` / `<mask>` marker of a multi-hole fill.
    static let perMarker = 24
    /// A rewrite: the body's tokens plus `rewriteSlack`, at most `rewriteCap`.
    static let rewriteSlack = 16, rewriteCap = 512
    /// Holes at least this long try several lengths when the model has no end ids.
    static let bestOfLengthsMinimum = 8
    /// Markers that make a selection a multi-hole fill.
    static let markers = ["<mask>", "TODO", "<|mask|>", "???"]
}
