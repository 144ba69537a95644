/// A frame for progress displays: the middle as it stands (mask ids where still masked) and the
/// confidence of each slot's current proposal (1 for committed slots).
public struct StepFrame: Sendable {
    public let step: Int
    public let middle: [Int32]
    public let confidences: [Float]
    public let maskID: Int32
}
