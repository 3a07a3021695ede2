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
}

public struct TrainingError: Error, CustomStringConvertible {
  public let message: String
  public let hint: String?
  public var description: String { message }
}

public struct Evaluation {
  public let loss: Double
  public let accuracy: Double
  /// Accuracy per class index (NaN where a class has no examples).
  public let perClassAccuracy: [Double]
  public let count: Int
}

/// Mini-batch training with the fused kernels; Ctrl-C stops after the current
/// batch and keeps the weights and the history so far.
public func fit(
  _ model: Sequential, on data: Dataset, optimizer: Optimizer, options: FitOptions,
  initRNG: RandomSource, progress: (TrainingEvent) -> Void = { _ in }
) throws -> History {
  guard options.epochs >= 0, options.batchSize > 0 else {
    throw TrainingError(message: "fit needs epochs ≥ 0 and batch ≥ 1", hint: nil)
  }
  guard data.count > 0 else { throw TrainingError(message: "fit got an empty dataset", hint: nil) }
  try model.build(inputShape: data.sampleShape, rng: initRNG)
  let parameters = model.namedParameters.map(\.tensor)
  let shuffler = RandomSource(seed: options.seed)
  let history = History()
  atl_interrupt_clear()

  for epoch in 1...max(options.epochs, 1) where options.epochs > 0 {
    let batches = Batches(data, size: options.batchSize, shuffle: options.shuffle, rng: shuffler)
    progress(.epochStarted(epoch: epoch, epochs: options.epochs, batches: batches.count))
    let start = Date()
    var lossSum = 0.0, correct = 0, seen = 0, batchIndex = 0
    var interrupted = false
    for (images, labels) in batches {
      batchIndex += 1
      let tape = Tape()
      let (loss, logits) = try tape.recording { () throws -> (Tensor, Tensor) in
        let logits = try model.forward(images, training: true)
        return (try softmaxCrossEntropy(logits, labels: labels), logits)
      }
      guard loss.scalarValue.isFinite else {
        throw TrainingError(
          message: "the loss became \(loss.scalarValue) at epoch \(epoch), batch \(batchIndex); training stopped",
          hint: "lower the learning rate (now \(optimizer.learningRate))")
      }
      try tape.backward(loss)
      optimizer.step(parameters)
      optimizer.zeroGrad(parameters)

      lossSum += Double(loss.scalarValue) * Double(labels.count)
      correct += zip(logits.argmaxRows(), labels).filter { $0 == $1 }.count
      seen += labels.count
      let elapsed = Date().timeIntervalSince(start)
      progress(
        .batchFinished(
          epoch: epoch, epochs: options.epochs, batch: batchIndex, batches: batches.count,
          imagesPerSecond: Double(seen) / max(elapsed, 1e-9), loss: lossSum / Double(seen),
          accuracy: Double(correct) / Double(seen), elapsed: elapsed))
      if options.stopRequested() {
        interrupted = true
        break
      }
    }
    let validation = try options.validation.flatMap { interrupted ? nil : try evaluate(model, on: $0) }
    let record = EpochRecord(
      epoch: epoch, trainLoss: lossSum / Double(max(seen, 1)), trainAccuracy: Double(correct) / Double(max(seen, 1)),
      validationLoss: validation?.loss, validationAccuracy: validation?.accuracy,
      learningRate: Double(optimizer.learningRate), seconds: Date().timeIntervalSince(start),
      batches: batchIndex)
    history.append(record)
    if interrupted {
      history.interrupted = true
      progress(.interrupted(epoch: epoch, batch: batchIndex))
      break
    }
    progress(.epochFinished(record, epochs: options.epochs))
  }
  return history
}

/// Loss, accuracy and per-class accuracy in evaluation mode, without a tape.
public func evaluate(_ model: Sequential, on data: Dataset, batchSize: Int = 1000) throws -> Evaluation {
  guard model.isBuilt else {
    throw TrainingError(message: "\(model.name) has not been trained or built yet", hint: "call fit first")
  }
  let classes = max(data.classes.count, (model.outputShape?.first ?? 0))
  var lossSum = 0.0, correct = 0
  var hits = [Int](repeating: 0, count: classes), totals = [Int](repeating: 0, count: classes)
  try Tape.withoutRecording {
    for (images, labels) in Batches(data, size: batchSize, shuffle: false, rng: nil) {
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
