import CKernel
import Data
import Foundation
import Tensor

public struct FitOptions {
  public var epochs: Int
  public var batchSize: Int
  public var seed: UInt64
  public var shuffle: Bool
  public var validation: Dataset?
  public var labelSmoothing: Float = 0
  /// Clip the global gradient norm to this value.
  public var clipNorm: Float?
  public var schedule: LearningRateSchedule = .constant
  public var warmupEpochs = 0
  public var earlyStopping: EarlyStopping?
  public var checkpoint: CheckpointPolicy?
  /// The metric that picks the best epoch for checkpoints (default val_loss, or loss without validation).
  public var monitor: String?
  /// Continue the run saved in this checkpoint.
  public var resume: String?
  /// Fresh random flips and crops of the training images each epoch.
  public var augmentation: (flip: Bool, crop: Int)?
  /// Polled after every batch; true stops the run there. By default it takes a pending Ctrl-C.
  public var stopRequested: () -> Bool

  public init(
    epochs: Int = 1, batchSize: Int = 128, seed: UInt64 = 1, shuffle: Bool = true, validation: Dataset? = nil,
    stopRequested: @escaping () -> Bool = takePendingInterrupt
  ) {
    self.epochs = epochs
    self.batchSize = batchSize
    self.seed = seed
    self.shuffle = shuffle
    self.validation = validation
    self.stopRequested = stopRequested
  }
}

/// Consumes a Ctrl-C raised since the last call.
public func takePendingInterrupt() -> Bool {
  guard atl_interrupt_pending() != 0 else { return false }
  atl_interrupt_clear()
  return true
}

/// What a running `fit` reports, for a progress display.
public enum TrainingEvent {
  case epochStarted(epoch: Int, epochs: Int, batches: Int)
  case batchFinished(
    epoch: Int, epochs: Int, batch: Int, batches: Int, imagesPerSecond: Double, loss: Double,
    accuracy: Double, elapsed: Double)
  case epochFinished(EpochRecord, epochs: Int)
  case interrupted(epoch: Int, batch: Int)
  case stoppedEarly(epoch: Int, bestEpoch: Int, monitor: String)
  case checkpointFailed(path: String, reason: String)
}

/// The metrics that early stopping and best-epoch checkpoints can follow.
public enum Monitor: String, CaseIterable {
  case loss, acc, val_loss, val_acc
}

public struct TrainingError: UserError {
  public let message: String
  public let hint: String?

  public init(message: String, hint: String?) {
    self.message = message
    self.hint = hint
  }

  public var description: String { message }
  public var userMessage: String { message }
}

public struct Evaluation {
  public let loss: Double
  public let accuracy: Double
  /// Accuracy per class index (NaN where a class has no examples).
  public let perClassAccuracy: [Double]
  public let count: Int
}

/// Mini-batch training with the fused kernels; Ctrl-C stops after the current
/// batch and keeps the weights and the history so far. With `resume`, the model,
/// optimizer state, history and random generators come from the checkpoint and the
/// run continues where it stopped, so that it ends as an uninterrupted run would.
/// Otherwise a model trained before carries on: its epochs are numbered on from the last.
public func fit(
  _ model: Sequential, on data: Dataset, optimizer initialOptimizer: Optimizer, options: FitOptions,
  initRNG: RandomSource, progress: (TrainingEvent) -> Void = { _ in }
) throws -> History {
  guard options.epochs >= 0, options.batchSize > 0 else {
    throw TrainingError(message: "fit needs epochs ≥ 0 and batch ≥ 1", hint: nil)
  }
  guard data.count > 0 else { throw TrainingError(message: "fit got an empty dataset", hint: nil) }
  defer { releaseCachedMemory() }
  try model.build(inputShape: data.sampleShape, rng: initRNG)
  let shuffler = RandomSource(seed: options.seed)
  let stochastic = model.allLayers.compactMap { $0 as? Stochastic }
  var optimizer = initialOptimizer
  var history = History()
  var firstEpoch = 1
  // Epochs as shown and recorded: after the ones this model has trained already.
  let before = options.resume == nil ? model.training.history.epochs.last?.epoch ?? 0 : 0
  if let path = options.resume {
    let saved = try Checkpoint.load(from: path)
    try Checkpoint.assign(
      Dictionary(uniqueKeysWithValues: Checkpoint.namedState(of: saved.model)), prefix: "", to: model, path: path)
    if let restored = saved.optimizer {
      for ((_, mine), (_, theirs)) in zip(model.namedState, Checkpoint.namedState(of: saved.model))
      where mine.requiresGrad {
        try restored.restore(restored.state(of: theirs), of: mine)
      }
      optimizer = restored
    }
    history = saved.history ?? History()
    history.interrupted = false
    firstEpoch = saved.epoch + 1
    if let words = saved.generators.first { shuffler.words = words }
    for (layer, words) in zip(stochastic, saved.generators.dropFirst()) { layer.rng.words = words }
  }
  let parameters = model.namedParameters.map(\.tensor)
  let regularized = model.allLayers.compactMap { $0 as? Regularized }
  // The schedule starts from the rate the run was given, also when resuming.
  let baseRate = Double(initialOptimizer.learningRate)
  let monitor = options.earlyStopping?.monitor ?? options.monitor ?? (options.validation != nil ? "val_loss" : "loss")
  // A metric that is never recorded would silently turn early stopping and best-epoch saving off.
  let monitors = Monitor.allCases.map(\.rawValue)
  guard monitors.contains(monitor) else {
    throw TrainingError(
      message: "fit: monitor must be one of \(monitors.joined(separator: ", ")), not \"\(monitor)\"", hint: nil)
  }
  guard options.validation != nil || !monitor.hasPrefix("val_") else {
    throw TrainingError(message: "fit: monitor \"\(monitor)\" needs validation data", hint: "pass val: a dataset")
  }
  var best: (value: Double, epoch: Int, weights: [Tensor])?
  var firstLoss: Double?
  atl_interrupt_clear()

  // A checkpoint that cannot be written (a full disk) is reported; training, its weights
  // and its history go on, and the next checkpoint tries again.
  func save(_ path: String, epoch: Int) {
    let generators = [shuffler.words] + stochastic.map(\.rng.words)
    do {
      try Checkpoint(model: model, optimizer: optimizer, history: history, epoch: epoch, generators: generators).save(
        to: path)
    } catch {
      progress(.checkpointFailed(path: path, reason: (error as? UserError)?.userMessage ?? "\(error)"))
    }
  }

  // Whatever ran, finished or not, stays with the model for the next fit.
  defer {
    model.training.optimizer = optimizer
    model.training.history = options.resume == nil ? model.training.history.joined(history) : history
  }
  let shownTotal = before + options.epochs
  var epoch = firstEpoch
  while epoch <= options.epochs {
    let shown = before + epoch
    optimizer.learningRate = Float(
      options.schedule.rate(base: baseRate, epoch: epoch - 1, warmup: options.warmupEpochs))
    // Augmentation draws its seed from the shuffler, so a resumed run sees the same images.
    let epochData =
      try options.augmentation.map { try data.augmented(flip: $0.flip, pad: $0.crop, seed: shuffler.nextSeed()) }
      ?? data
    let batches = Batches(epochData, size: options.batchSize, shuffle: options.shuffle, rng: shuffler)
    progress(.epochStarted(epoch: shown, epochs: shownTotal, batches: batches.count))
    let start = Date()
    var lossSum = 0.0, correct = 0, seen = 0, batchIndex = 0
    var interrupted = false
    for (images, labels) in batches {
      batchIndex += 1
      let tape = Tape()
      let (loss, logits) = try tape.recording { () throws -> (Tensor, Tensor) in
        let logits = try model.forward(images, training: true)
        return (try softmaxCrossEntropy(logits, labels: labels, smoothing: options.labelSmoothing), logits)
      }
      // A loss a thousand times the first batch's has diverged as surely as a NaN.
      let value = Double(loss.scalarValue)
      firstLoss = firstLoss ?? value
      if !value.isFinite || value > 1000 * max(firstLoss ?? 1, 1) {
        let what =
          value.isFinite
          ? "diverged to \(String(format: "%.3g", value)) (from \(String(format: "%.3g", firstLoss ?? 0)) at the first batch)"
          : "became \(value)"
        throw TrainingError(
          message: "the loss \(what) at epoch \(shown), batch \(batchIndex); training stopped",
          hint: "lower the learning rate (now \(optimizer.learningRate))")
      }
      try tape.backward(loss)
      let penalty = applyRegularization(regularized)
      if let maxNorm = options.clipNorm { clipGradientNorm(parameters, maxNorm: maxNorm) }
      optimizer.step(parameters)
      optimizer.zeroGrad(parameters)
      guard parameters.allSatisfy(\.allFinite) else {
        throw TrainingError(
          message: "the weights became NaN or infinite at epoch \(shown), batch \(batchIndex); training stopped",
          hint: "lower the learning rate (now \(optimizer.learningRate)) or clip gradients with clip: 1")
      }

      lossSum += (Double(loss.scalarValue) + penalty) * Double(labels.count)
      correct += zip(logits.argmaxRows(), labels).filter { $0 == $1 }.count
      seen += labels.count
      let elapsed = Date().timeIntervalSince(start)
      progress(
        .batchFinished(
          epoch: shown, epochs: shownTotal, batch: batchIndex, batches: batches.count,
          imagesPerSecond: Double(seen) / max(elapsed, 1e-9), loss: lossSum / Double(seen),
          accuracy: Double(correct) / Double(seen), elapsed: elapsed))
      if options.stopRequested() {
        interrupted = true
        break
      }
    }
    let validation = try options.validation.flatMap { interrupted ? nil : try evaluate(model, on: $0) }
    let record = EpochRecord(
      epoch: shown, trainLoss: lossSum / Double(max(seen, 1)), trainAccuracy: Double(correct) / Double(max(seen, 1)),
      validationLoss: validation?.loss, validationAccuracy: validation?.accuracy,
      learningRate: Double(optimizer.learningRate), seconds: Date().timeIntervalSince(start),
      batches: batchIndex)
    history.append(record)
    if interrupted {
      history.interrupted = true
      progress(.interrupted(epoch: shown, batch: batchIndex))
      break
    }
    progress(.epochFinished(record, epochs: shownTotal))

    var improved = false
    if let (value, lowerIsBetter) = metric(record, monitor) {
      let better = best.map { lowerIsBetter ? value < $0.value : value > $0.value } ?? true
      if better {
        improved = true
        let keep = options.earlyStopping?.restoreBest == true
        best = (value, epoch, keep ? model.namedState.map { $0.tensor.copy() } : [])
      }
    }
    if let policy = options.checkpoint {
      if epoch % max(policy.every, 1) == 0 || epoch == options.epochs {
        save(policy.path, epoch: epoch)
        save(policy.epochPath(epoch), epoch: epoch)
      }
      if improved { save(policy.bestPath, epoch: epoch) }
    }
    if let stopping = options.earlyStopping, let b = best, epoch - b.epoch >= stopping.patience {
      if stopping.restoreBest {
        for ((_, tensor), saved) in zip(model.namedState, b.weights) {
          tensor.data.update(from: saved.data, count: tensor.count)
        }
      }
      progress(.stoppedEarly(epoch: shown, bestEpoch: before + b.epoch, monitor: monitor))
      break
    }
    epoch += 1
  }
  return history
}

/// Loss, accuracy and per-class accuracy in evaluation mode, without a tape.
/// Images per forward pass when nothing trains: large enough to keep the cores
/// busy, small enough that a wide first layer's activations stay in the tens of MB.
public let inferenceBatch = 256

public func evaluate(_ model: Sequential, on data: Dataset, batchSize: Int = inferenceBatch) throws -> Evaluation {
  defer { releaseCachedMemory() }
  guard model.isBuilt else {
    throw TrainingError(message: "\(model.name) has not been trained or built yet", hint: "call fit first")
  }
  let classes = max(data.classes.count, (model.outputShape?.first ?? 0))
  var lossSum = 0.0, correct = 0
  var hits = [Int](repeating: 0, count: classes), totals = [Int](repeating: 0, count: classes)
  try Tape.withoutRecording {
    for (images, labels) in Batches(data, size: batchSize, shuffle: false, rng: nil) {
      releaseIdleBlocksBeforeShortBatch(rows: labels.count, batchSize: batchSize, total: data.count)
      let logits = try model.forward(images, training: false)
      let loss = try softmaxCrossEntropy(logits, labels: labels)
      lossSum += Double(loss.scalarValue) * Double(labels.count)
      for (predicted, label) in zip(logits.argmaxRows(), labels) {
        let y = Int(label)
        if y < classes { totals[y] += 1 }
        if predicted == label {
          correct += 1
          if y < classes { hits[y] += 1 }
        }
      }
    }
  }
  let n = Double(max(data.count, 1))
  return Evaluation(
    loss: lossSum / n, accuracy: Double(correct) / n,
    perClassAccuracy: zip(hits, totals).map { $1 > 0 ? Double($0) / Double($1) : .nan }, count: data.count)
}

/// Class probabilities and predicted labels for every image, in evaluation mode.
public func predict(_ model: Layer, on images: Tensor, batchSize: Int = inferenceBatch) throws -> (
  probabilities: Tensor, labels: [Int32]
) {
  guard images.rank >= 2 else { throw TrainingError(message: "predict needs a batch of inputs", hint: nil) }
  defer { releaseCachedMemory() }
  let probabilities = try images.mapRows(count: images.shape[0], batchSize: batchSize) {
    softmax(try model.forward($0, training: false))
  }
  return (probabilities, probabilities.argmaxRows())
}

/// The same over a dataset, converting one batch of its images at a time.
public func predict(_ model: Layer, on data: Dataset, batchSize: Int = inferenceBatch) throws -> (
  probabilities: Tensor, labels: [Int32]
) {
  defer { releaseCachedMemory() }
  let probabilities = try data.mapBatches(size: batchSize) { softmax(try model.forward($0, training: false)) }
  return (probabilities, probabilities.argmaxRows())
}
