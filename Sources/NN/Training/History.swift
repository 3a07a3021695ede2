/// One epoch of a training run.
public struct EpochRecord {
  public let epoch: Int
  public let trainLoss: Double
  public let trainAccuracy: Double
  public let validationLoss: Double?
  public let validationAccuracy: Double?
  public let learningRate: Double
  public let seconds: Double
  /// Batches actually run; fewer than the epoch's when it was interrupted.
  public let batches: Int
}

/// Per-epoch metrics of a `fit`, appended as training goes.
public final class History {
  public private(set) var epochs: [EpochRecord] = []
  /// Set when Ctrl-C stopped the run early.
  public var interrupted = false

  public init() {}

  public func append(_ record: EpochRecord) { epochs.append(record) }

  public var trainLoss: [Double] { epochs.map(\.trainLoss) }
  public var trainAccuracy: [Double] { epochs.map(\.trainAccuracy) }
  public var validationLoss: [Double] { epochs.compactMap(\.validationLoss) }
  public var validationAccuracy: [Double] { epochs.compactMap(\.validationAccuracy) }
}
