import CKernel
import Data
import Foundation
import Testing

@testable import NN
@testable import Tensor

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Fixtures").path

func lenet5() throws -> Sequential {
  let fc2 = try Linear(units: 84)
  fc2.name = "fc2"
  fc2.hasExplicitName = true
  return try Sequential([
    try Conv2d(filters: 6, kernel: 5, padding: 2), Activation(.relu), try MaxPool2d(kernel: 2),
    try Conv2d(filters: 16, kernel: 5), Activation(.relu), try MaxPool2d(kernel: 2),
    Flatten(), try Linear(units: 120), Activation(.relu), fc2, Activation(.relu), try Linear(units: 10),
  ])
}

@Suite struct SequentialTests {
  @Test func lenetHasPyTorchsParameterCountNamesAndShapes() throws {
    let net = try lenet5()
    try net.build(inputShape: [1, 28, 28], rng: RandomSource(seed: 1))
    #expect(net.layers.reduce(0) { $0 + $1.parameterCount } == 61_706)
    #expect(
      net.layers.map(\.name) == [
        "conv1", "relu1", "maxpool1", "conv2", "relu2", "maxpool2", "flatten1", "dense1", "relu3", "fc2", "relu4",
        "dense3",
      ])
    #expect(net.outputShapes[5] == [16, 5, 5] && net.outputShape == [10])
    #expect(net.namedParameters.map(\.path).prefix(2) == ["conv1.weight", "conv1.bias"])
  }

  @Test func pytorchDefaultInitialisationBounds() throws {
    let layer = try Linear(units: 50)
    _ = try layer.build(inputShape: [400], rng: RandomSource(seed: 2))
    let w = try #require(layer.weight).toArray()
    let bound = 1 / Float(400).squareRoot()
    #expect(w.allSatisfy { abs($0) <= bound })
    #expect(w.map(abs).max()! > 0.9 * bound)
  }

  @Test func denseWithoutFlattenNamesTheLayerAndSuggestsFlatten() throws {
    let net = try Sequential([try Conv2d(filters: 4, kernel: 3), try Linear(units: 10)])
    let error = #expect(throws: LayerError.self) { try net.build(inputShape: [1, 28, 28], rng: RandomSource(seed: 1)) }
    #expect(error?.layer == "dense1")
    #expect(error?.message.contains("[4, 26, 26]") == true)
    #expect(error?.hint?.contains("flatten") == true)
  }

  @Test func kernelTooLargeAndWrongInputShapeAreErrors() throws {
    let net = try Sequential([try Conv2d(filters: 4, kernel: 9), try MaxPool2d(kernel: 2)])
    #expect(throws: LayerError.self) { try net.build(inputShape: [1, 8, 8], rng: RandomSource(seed: 1)) }
    let ok = try Sequential([Flatten(), try Linear(units: 3)])
    try ok.build(inputShape: [1, 4, 4], rng: RandomSource(seed: 1))
    #expect(throws: LayerError.self) { try ok.forward(Tensor(zeros: [2, 1, 5, 5]), training: false) }
  }

  @Test func duplicateNamesAreRejected() throws {
    let a = try Linear(units: 3), b = try Linear(units: 3)
    a.name = "head"
    a.hasExplicitName = true
    b.name = "head"
    b.hasExplicitName = true
    #expect(throws: LayerError.self) { try Sequential([a, b]) }
  }
}

@Suite(.serialized) struct TrainingTests {
  @Test func lenetLearnsTheFixtureSlice() throws {
    let data = try FashionMNIST.load(directory: fixtures)
    let net = try lenet5()
    let before = try { () throws -> Double in
      try net.build(inputShape: [1, 28, 28], rng: RandomSource(seed: 1))
      return try evaluate(net, on: data.test).accuracy
    }()
    let history = try fit(
      net, on: data.train, optimizer: Adam(learningRate: 2e-3),
      options: FitOptions(epochs: 5, batchSize: 32, validation: data.test),
      initRNG: RandomSource(seed: 1))
    let after = try evaluate(net, on: data.test)
    #expect(history.epochs.count == 5)
    #expect(history.trainLoss.last! < history.trainLoss.first!)
    #expect(before < 0.2)
    #expect(after.accuracy > 0.62)
    #expect(abs(history.validationAccuracy.last! - after.accuracy) < 1e-9)
    #expect(after.perClassAccuracy.count == 10)
  }

  @Test func trainingIsReproducibleForASeed() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    func run() throws -> [Float] {
      let net = try lenet5()
      _ = try fit(
        net, on: data, optimizer: SGD(learningRate: 0.05, momentum: 0.9),
        options: FitOptions(epochs: 1, batchSize: 50, seed: 9), initRNG: RandomSource(seed: 4))
      return net.namedParameters.last!.tensor.toArray()
    }
    #expect(try run() == run())
  }

  /// A net of 3x3 convolutions, trained on every convolution engine: each learns, and
  /// each repeats bit for bit for a seed (Winograd's and the direct kernel's weight
  /// gradients sum per-thread parts).
  @Test(arguments: [Int32(ATL_CONV_IM2COL), Int32(ATL_CONV_DNNL), Int32(ATL_CONV_WINOGRAD), Int32(ATL_CONV_DIRECT)])
  func aThreeByThreeNetLearnsAndRepeatsOnEveryEngine(_ engine: Int32) throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    let before = atl_conv_engine()
    atl_conv_set_engine(engine)
    defer { atl_conv_set_engine(before) }
    func run() throws -> ([Float], Double) {
      let net = try Sequential([
        try Conv2d(filters: 16, kernel: 3, padding: 1), Activation(.relu), try MaxPool2d(kernel: 2),
        try Conv2d(filters: 24, kernel: 3, padding: 1), Activation(.relu), try MaxPool2d(kernel: 2),
        Flatten(), try Linear(units: 10),
      ])
      _ = try fit(
        net, on: data, optimizer: SGD(learningRate: 0.05, momentum: 0.9),
        options: FitOptions(epochs: 2, batchSize: 50, seed: 3), initRNG: RandomSource(seed: 5))
      return (net.namedParameters.flatMap { $0.tensor.toArray() }, try evaluate(net, on: data).accuracy)
    }
    let (first, accuracy) = try run()
    #expect(try run().0 == first)
    #expect(accuracy > 0.5)
  }

  @Test func interruptStopsAfterTheCurrentBatchAndKeepsWeights() throws {
    let data = try FashionMNIST.load(directory: fixtures).train
    let net = try lenet5()
    var batchesSeen = 0
    let options = FitOptions(epochs: 3, batchSize: 100, stopRequested: { batchesSeen == 3 })
    let history = try fit(net, on: data, optimizer: Adam(), options: options, initRNG: RandomSource(seed: 1)) { event in
      if case .batchFinished = event { batchesSeen += 1 }
    }
    #expect(history.interrupted)
    #expect(history.epochs.count == 1 && history.epochs[0].batches == 3)
    #expect(try evaluate(net, on: data).accuracy > 0.1)
  }

  @Test func divergingTrainingStopsWithAClearMessage() throws {
    let data = try FashionMNIST.load(directory: fixtures).train
    let net = try lenet5()
    let error = #expect(throws: TrainingError.self) {
      try fit(
        net, on: data, optimizer: SGD(learningRate: 1e6), options: FitOptions(epochs: 2, batchSize: 100),
        initRNG: RandomSource(seed: 1))
    }
    #expect(error?.message.contains("epoch") == true)
    #expect(error?.hint?.contains("lower the learning rate") == true)
  }
}
