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

extension History {
  /// This run followed by `next`; epochs of `next` that do not follow on are numbered on.
  public func joined(_ next: History) -> History {
    let joined = History()
    for record in epochs { joined.append(record) }
    var last = epochs.last?.epoch ?? 0
    for record in next.epochs {
      let number = record.epoch > last ? record.epoch : last + 1
      last = number
      joined.append(record.numbered(number))
    }
    joined.interrupted = next.interrupted
    return joined
  }
}

extension EpochRecord {
  func numbered(_ epoch: Int) -> EpochRecord {
    EpochRecord(
      epoch: epoch, trainLoss: trainLoss, trainAccuracy: trainAccuracy, validationLoss: validationLoss,
      validationAccuracy: validationAccuracy, learningRate: learningRate, seconds: seconds, batches: batches)
  }
}

/// What a model keeps of its training, so that the next `fit` carries on: the optimizer
/// with its state, and every epoch so far.
public final class TrainingRecord {
  public var optimizer: Optimizer?
  public var history = History()
  public init() {}
}
