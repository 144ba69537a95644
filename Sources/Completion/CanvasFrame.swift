/// A denoising frame for display: the hole's draft with every still-masked token drawn as `maskGlyph`.
public struct CanvasFrame: Sendable {
    /// Where the draft goes in the document (UTF-8 offsets into the request's text).
    public var range: Swift.Range<Int>
    public var text: String
    /// UTF-8 offsets into `text` of the masked glyphs.
    public var maskedRanges: [Swift.Range<Int>]
    public var step: Int
    public var steps: Int
    public static let maskGlyph = "░"
    public init(range: Swift.Range<Int>, text: String, maskedRanges: [Swift.Range<Int>], step: Int, steps: Int) {
        self.range = range; self.text = text; self.maskedRanges = maskedRanges; self.step = step; self.steps = steps
    }
}
