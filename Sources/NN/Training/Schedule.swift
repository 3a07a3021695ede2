import Foundation

/// How the learning rate changes from epoch to epoch (0-based epoch index).
public enum LearningRateSchedule {
  case constant
  /// Multiplies by `gamma` every `every` epochs (PyTorch's StepLR).
  case step(every: Int, gamma: Double)
  /// Cosine annealing from the base rate to `minimum` over `epochs` (CosineAnnealingLR).
  case cosine(epochs: Int, minimum: Double)

  public func rate(base: Double, epoch: Int, warmup: Int) -> Double {
    var rate: Double
    switch self {
    case .constant: rate = base
    case .step(let every, let gamma): rate = base * pow(gamma, Double(epoch / max(every, 1)))
    case .cosine(let epochs, let minimum):
      let t = Double(min(epoch, epochs)) / Double(max(epochs, 1))
      rate = minimum + (base - minimum) * (1 + cos(Double.pi * t)) / 2
    }
    // Linear warm-up: epoch e of w runs at (e + 1) / w of the rate.
    if epoch < warmup { rate *= Double(epoch + 1) / Double(warmup) }
    return rate
  }
}

/// Stops training when a metric has not improved for `patience` epochs.
public struct EarlyStopping {
  public var patience: Int
  /// `val_loss`, `val_acc`, `loss` or `acc`.
  public var monitor: String
  public var restoreBest: Bool

  public init(patience: Int, monitor: String = "val_loss", restoreBest: Bool = true) {
    self.patience = patience
    self.monitor = monitor
    self.restoreBest = restoreBest
  }
}

/// Saving during `fit`: every `every` epochs to `path` (and `stem-epochN.atlm`), and the
/// best epoch by the monitored metric to `stem-best.atlm`.
public struct CheckpointPolicy {
  public var path: String
  public var every: Int

  public init(path: String, every: Int = 1) {
    self.path = path
    self.every = every
  }

  var stem: String { path.hasSuffix(".atlm") ? String(path.dropLast(5)) : path }
  func epochPath(_ epoch: Int) -> String { "\(stem)-epoch\(epoch).atlm" }
  var bestPath: String { "\(stem)-best.atlm" }
}

/// The metric a run is judged by, and whether lower is better.
func metric(_ record: EpochRecord, _ name: String) -> (value: Double, lowerIsBetter: Bool)? {
  switch name {
  case "val_loss": return record.validationLoss.map { ($0, true) }
  case "val_acc": return record.validationAccuracy.map { ($0, false) }
  case "loss": return (record.trainLoss, true)
  case "acc": return (record.trainAccuracy, false)
  default: return nil
  }
}
