import Data
import Foundation
import Testing

@testable import NN
@testable import Tensor

@Suite(.serialized) struct ToolkitTests {
  func temporary(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("atelier-\(UUID().uuidString)-\(name)").path
  }

  func smallCNN() throws -> Sequential {
    try Sequential([
      try Conv2d(filters: 4, kernel: 3, padding: 1), BatchNorm(), Activation(.relu), try MaxPool2d(kernel: 2),
      try Dropout(0.2),
      Flatten(), try Linear(units: 10),
    ])
  }

  @Test func interruptedAndResumedRunEndsAsAnUninterruptedOne() throws {
    let data = try FashionMNIST.load(directory: fixtures).train.subset(Array(0..<400))
    let optionsFor = { (stop: @escaping () -> Bool) -> FitOptions in
      var o = FitOptions(epochs: 3, batchSize: 50, seed: 7, stopRequested: stop)
      o.checkpoint = nil
      return o
    }
    // Uninterrupted.
    let whole = try smallCNN()
    _ = try fit(whole, on: data, optimizer: Adam(), options: optionsFor({ false }), initRNG: RandomSource(seed: 3))
    // Interrupted in the middle of epoch 2 (checkpoints every epoch), then resumed.
    let path = temporary("run.atlm")
    let first = try smallCNN()
    var batches = 0
    var options = optionsFor({ batches == 12 })
    options.checkpoint = CheckpointPolicy(path: path, every: 1)
    let stopped = try fit(first, on: data, optimizer: Adam(), options: options, initRNG: RandomSource(seed: 3)) {
      event in
      if case .batchFinished = event { batches += 1 }
    }
    #expect(stopped.interrupted && stopped.epochs.count == 2)
    let resumed = try smallCNN()
    var rest = optionsFor({ false })
    rest.resume = path
    let history = try fit(resumed, on: data, optimizer: Adam(), options: rest, initRNG: RandomSource(seed: 99))
    #expect(history.epochs.count == 3)
    for ((name, a), (_, b)) in zip(whole.namedState, resumed.namedState) {
      #expect(a.toArray() == b.toArray(), "\(name) differs after resuming")
    }
  }

  @Test func saveAndLoadKeepArchitectureWeightsOptimizerAndHistory() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    let net = try smallCNN()
    let optimizer = SGD(learningRate: 0.05, momentum: 0.9)
    let history = try fit(
      net, on: data, optimizer: optimizer, options: FitOptions(epochs: 1, batchSize: 100),
      initRNG: RandomSource(seed: 1))
    let path = temporary("model.atlm")
    try Checkpoint(model: net, optimizer: optimizer, history: history, epoch: 1, generators: []).save(to: path)
    let loaded = try Checkpoint.load(from: path)
    let model = try #require(loaded.model as? Sequential)
    #expect(model.layers.map(\.name) == net.layers.map(\.name))
    #expect(model.namedState.map { $0.tensor.toArray() } == net.namedState.map { $0.tensor.toArray() })
    #expect(loaded.history?.trainLoss == history.trainLoss)
    #expect(loaded.optimizer?.summary == optimizer.summary)
    #expect(try evaluate(model, on: data).accuracy == (try evaluate(net, on: data).accuracy))
    #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    // The file says which Atelier wrote it.
    #expect(try SafeTensors.read(path).metadata["atelier_version"] == AtelierVersion.number)
  }

  @Test func weightImportNamesEveryMismatch() throws {
    let net = try smallCNN()
    try net.build(inputShape: [1, 28, 28], rng: RandomSource(seed: 1))
    let path = temporary("w.safetensors")
    try WeightExchange.export(net, to: path)
    let other = try smallCNN()
    try other.build(inputShape: [1, 28, 28], rng: RandomSource(seed: 2))
    try WeightExchange.importWeights(into: other, from: path)
    #expect(other.namedState.map { $0.tensor.toArray() } == net.namedState.map { $0.tensor.toArray() })
    let wrong = try Sequential([try Conv2d(filters: 5, kernel: 3), Flatten(), try Linear(units: 10)])
    try wrong.build(inputShape: [1, 28, 28], rng: RandomSource(seed: 1))
    let before = wrong.namedState.map { $0.tensor.toArray() }
    let error = #expect(throws: DataError.self) { try WeightExchange.importWeights(into: wrong, from: path) }
    let problem = error?.problem ?? ""
    #expect(problem.contains("conv1.weight is [4, 1, 3, 3] in the file but [5, 1, 3, 3] in the model"))
    #expect(problem.contains("unexpected: bn1.bias; bn1.running_mean"))
    #expect(wrong.namedState.map { $0.tensor.toArray() } == before, "a failed import changes nothing")
  }

  /// PyTorch files hold half-precision weights and I64 counters; each reads as float32.
  @Test func safetensorsOfOtherDtypesReadAsFloat32() throws {
    var body = Data()
    var header: [String: Any] = [:]
    func add<T>(_ name: String, _ dtype: String, _ values: [T]) {
      let start = body.count
      values.withUnsafeBytes { body.append(contentsOf: $0) }
      header[name] = ["dtype": dtype, "shape": [values.count], "data_offsets": [start, body.count]]
    }
    func written() throws -> String {
      let json = try JSONSerialization.data(withJSONObject: header)
      let path = temporary("dtypes.safetensors")
      try (Data(withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }) + json + body).write(
        to: URL(fileURLWithPath: path))
      return path
    }
    add("h", "F16", [0x3C00, 0xC000, 0x3555] as [UInt16])  // 1, -2, 0.33325
    add("b", "BF16", [0x3F80, 0x4049] as [UInt16])  // 1, 3.140625
    add("d", "F64", [0.1, -7] as [Double])
    add("n", "I64", [1234] as [Int64])
    let tensors = try SafeTensors.read(try written()).tensors
    #expect(tensors["h"]?.toArray() == [1, -2, 0.33325195])
    #expect(tensors["b"]?.toArray() == [1, 3.140625])
    #expect(tensors["d"]?.toArray() == [0.1, -7])
    #expect(tensors["n"]?.toArray() == [1234])
    add("u", "U8", [7] as [UInt8])
    let error = #expect(throws: DataError.self) { try SafeTensors.read(try written()) }
    #expect(error?.problem.contains("holds 'u' as U8") == true)
  }

  /// Flips and crops are drawn afresh each epoch from the run's seed: the same seed
  /// repeats a run, and augmenting changes what the model sees.
  @Test func augmentationEachEpochRepeatsWithItsSeed() throws {
    let all = try FashionMNIST.load(directory: fixtures)
    let data = try all.train.subset(Array(0..<300))
    func run(_ augmentation: (flip: Bool, crop: Int)?) throws -> [Double] {
      var options = FitOptions(epochs: 2, batchSize: 50, seed: 4)
      options.augmentation = augmentation
      let net = try smallCNN()
      return try fit(net, on: data, optimizer: Adam(), options: options, initRNG: RandomSource(seed: 1)).trainLoss
    }
    let augmented = try run((flip: true, crop: 2))
    #expect(augmented == (try run((flip: true, crop: 2))))
    #expect(augmented != (try run(nil)))
  }

  @Test func earlyStoppingRestoresTheBestEpoch() throws {
    let all = try FashionMNIST.load(directory: fixtures)
    var options = FitOptions(epochs: 30, batchSize: 100, validation: all.test)
    options.earlyStopping = EarlyStopping(patience: 2, monitor: "val_loss", restoreBest: true)
    let net = try smallCNN()
    let history = try fit(
      net, on: all.train, optimizer: Adam(learningRate: 0.01), options: options, initRNG: RandomSource(seed: 1))
    let losses = history.validationLoss
    let best = losses.min() ?? 0
    #expect(history.epochs.count < 30)
    #expect(abs(try evaluate(net, on: all.test).loss - best) < 1e-6)
  }

  @Test func schedulesFollowPyTorch() {
    #expect(LearningRateSchedule.step(every: 2, gamma: 0.1).rate(base: 1, epoch: 3, warmup: 0) == 0.1)
    #expect(abs(LearningRateSchedule.cosine(epochs: 10, minimum: 0).rate(base: 1, epoch: 5, warmup: 0) - 0.5) < 1e-12)
    #expect(LearningRateSchedule.constant.rate(base: 1, epoch: 0, warmup: 4) == 0.25)
  }

  @Test func clippingScalesTheGlobalNorm() throws {
    let a = Tensor(zeros: [2]), b = Tensor(zeros: [1])
    a.grad = try Tensor([3, 0], shape: [2])
    b.grad = try Tensor([4], shape: [1])
    #expect(clipGradientNorm([a, b], maxNorm: 1) == 5)
    #expect(a.grad?.toArray() == [0.6, 0] && b.grad?.toArray() == [0.8])
  }

  @Test func regularisationAddsKerasPenalty() throws {
    let layer = try Linear(units: 1)
    _ = try layer.build(inputShape: [2], rng: RandomSource(seed: 1))
    layer.l2 = 0.5
    let w = try #require(layer.weight)
    let penalty = applyRegularization([layer])
    let expected = 0.5 * w.toArray().map { Double($0 * $0) }.reduce(0, +)
    #expect(abs(penalty - expected) < 1e-6)
    #expect(zip(try #require(w.grad).toArray(), w.toArray()).allSatisfy { abs($0 - $1) < 1e-6 })  // 2 · 0.5 · w
  }

  @Test func layerShapes() throws {
    let net = try Sequential([
      try Conv2d(filters: 3, kernel: 4, same: true), try AvgPool2d(kernel: 4, stride: 2, padding: 2),
      try Conv2d(filters: 2, kernel: 3),
      try ConvTranspose2d(filters: 1, kernel: 3, stride: 2, padding: 1, outputPadding: 1),
      try Resize(height: 32, width: 32),
      try ZeroPad(top: 1, left: 1, bottom: 1, right: 1), GlobalAvgPool(), try Linear(units: 6), Reshape([2, 3]),
    ])
    try net.build(inputShape: [1, 28, 28], rng: RandomSource(seed: 1))
    #expect(
      net.outputShapes == [
        [3, 28, 28], [3, 15, 15], [2, 13, 13], [1, 26, 26], [1, 32, 32], [1, 34, 34], [1], [6], [2, 3],
      ])
    let y = try net.forward(
      Tensor.uniform([2, 1, 28, 28], low: 0, high: 1, rng: RandomSource(seed: 2)), training: false)
    #expect(y.shape == [2, 2, 3])
  }
}

@Suite struct DataToolsTests {
  @Test func stratifiedSplitKeepsClassShares() throws {
    let data = try FashionMNIST.load(directory: fixtures).train
    let (rest, held) = try data.split(held: 0.2, stratify: true, seed: 1)
    #expect(rest.count == 800 && held.count == 200)
    for c in Int32(0)..<10 {
      let total = data.labels.filter { $0 == c }.count
      let inHeld = held.labels.filter { $0 == c }.count
      #expect(abs(Double(inHeld) - Double(total) * 0.2) <= 1)
    }
    let (_, again) = try data.split(held: 0.2, stratify: true, seed: 1)
    #expect(again.labels == held.labels)
  }

  @Test func foldsCoverEveryImageOnce() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    let folds = try data.folds(5, stratify: true, seed: 2)
    #expect(folds.count == 5)
    #expect(folds.map(\.validation.count).reduce(0, +) == data.count)
    #expect(folds.allSatisfy { $0.train.count + $0.validation.count == data.count })
  }

  @Test func normalizeConcatAugment() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    let (mean, std) = data.channelStatistics()
    let normal = try data.normalized(mean: mean, std: std)
    let (m2, s2) = normal.channelStatistics()
    #expect(abs(m2[0]) < 1e-4 && abs(s2[0] - 1) < 1e-3)
    #expect(try Dataset.concatenate([data, data]).count == 1000)
    let flipped = try data.augmented(flip: true, pad: 0, seed: 1)
    let changed = (0..<data.count).filter {
      flipped.gather([$0]).images.toArray() != data.gather([$0]).images.toArray()
    }.count
    #expect(changed > 150 && changed < 350)
    #expect(flipped.images.toArray().reduce(0, +) == data.images.toArray().reduce(0, +))
  }
}

@Suite struct InitializerTests {
  @Test func glorotUniformFollowsKeras() throws {
    let dense = try Linear(units: 30)
    dense.initializer = .glorot
    _ = try dense.build(inputShape: [50], rng: RandomSource(seed: 1))
    let w = try #require(dense.weight).toArray()
    let limit = (6.0 / 80.0).squareRoot()
    #expect(w.allSatisfy { Double(abs($0)) <= limit } && Double(w.map(abs).max() ?? 0) > 0.95 * limit)
    #expect(try #require(dense.bias).toArray().allSatisfy { $0 == 0 })
    let conv = try Conv2d(filters: 4, kernel: 3)
    conv.initializer = .glorot
    _ = try conv.build(inputShape: [2, 8, 8], rng: RandomSource(seed: 2))
    let bound = (6.0 / Double(2 * 9 + 4 * 9)).squareRoot()
    #expect(try #require(conv.weight).toArray().allSatisfy { Double(abs($0)) <= bound })
  }
}
