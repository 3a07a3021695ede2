import Data
import Foundation
import Testing

@testable import Analysis
@testable import NN
@testable import Tensor

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Fixtures").path

@Suite struct AnalysisTests {
  @Test func pcaOfTheTrainingPixelsMatchesScikitLearn() throws {
    // The reference came from bench/analysis.py (PCA(svd_solver="full") on the 60,000 images).
    let json = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/pca_sklearn.json")))
    let reference = try #require((json as? [String: Any])?["explained_variance_ratio"] as? [Double])
    let train = try FashionMNIST.load().train
    let model = try PCA(fitting: try train.images.reshaped([train.count, -1]), components: 10)
    #expect(model.explainedVarianceRatio.count == 10)
    for (ours, theirs) in zip(model.explainedVarianceRatio, reference) { #expect(abs(ours - theirs) < 1e-4) }
  }

  @Test func pcaProjectsOntoOrthonormalComponents() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    let e = try Embedding(
      points: try data.images.reshaped([data.count, -1]), labels: data.labels, classes: data.classes, source: "pixels")
    let p = try pca(e, components: 3)
    let model = try PCA(fitting: e.points, components: 3)
    let c = model.components.toArray()
    for i in 0..<3 {
      for j in 0..<3 {
        let dot = (0..<784).reduce(0.0) { $0 + Double(c[i * 784 + $1]) * Double(c[j * 784 + $1]) }
        #expect(abs(dot - (i == j ? 1 : 0)) < 1e-4)
      }
    }
    // The first coordinate's variance is the first eigenvalue.
    let first = (0..<p.count).map { Double(p.points[flat: $0 * 3]) }
    let mean = first.reduce(0, +) / Double(first.count)
    let variance = first.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(first.count - 1)
    #expect(abs(variance - model.explainedVariance[0]) / variance < 1e-3)
    #expect(abs(mean) < 1e-3)
  }

  @Test func tsneSeparatesTheClasses() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    let e = try Embedding(
      points: try data.images.reshaped([data.count, -1]), labels: data.labels, classes: data.classes, source: "pixels")
    var options = TSNEOptions()
    options.iterations = 500
    var reports: [Double] = []
    let t = try tsne(e, options: options) { _, kl in
      reports.append(kl)
      return false
    }
    #expect(t.points.shape == [500, 2])
    #expect(reports.count == 10 && (t.klDivergence ?? 9) < 2)
    // 5-nearest-neighbour accuracy in the map: far above the 10% of chance.
    #expect(UMAPTests.neighbourAccuracy(t, against: t, k: 5, excludingSelf: true) > 0.6)
  }

  @Test func fftTSNESeparatesTheClassesAndRepeatsBitForBit() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    let e = try Embedding(
      points: try data.images.reshaped([data.count, -1]), labels: data.labels, classes: data.classes, source: "pixels")
    var options = TSNEOptions()
    options.iterations = 400
    options.method = .fft
    options.neighbors = .approx
    let t = try tsne(e, options: options)
    #expect(try tsne(e, options: options).points.toArray() == t.points.toArray())
    #expect(UMAPTests.neighbourAccuracy(t, against: t, k: 5, excludingSelf: true) > 0.6)
    // Heavier tails pull the same classes further apart: the map grows.
    options.dof = 0.6
    let heavy = try tsne(e, options: options)
    #expect(UMAPTests.neighbourAccuracy(heavy, against: heavy, k: 5, excludingSelf: true) > 0.6)
    #expect(extent(heavy) > extent(t))
    #expect(TSNEOptions().resolvedMethod(points: 1_000) == .bh)
    #expect(TSNEOptions().resolvedMethod(points: 60_000) == .fft)
  }

  func extent(_ e: Embedding) -> Float {
    let y = e.points.toArray()
    let first: [Float] = stride(from: 0, to: y.count, by: 2).map { y[$0] }
    return (first.max() ?? 0) - (first.min() ?? 0)
  }

  @Test func confusionAndReportMatchScikitLearnExactly() throws {
    let json = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/sklearn_report.json")))
    let fixture = try #require(json as? [String: Any])
    let predicted = try #require(fixture["predicted"] as? [Int]).map(Int32.init)
    let truth = try #require(fixture["truth"] as? [Int]).map(Int32.init)
    let classes = (0..<10).map(String.init)
    let matrix = try confusion(predicted: predicted, truth: truth, classes: classes)
    let expected = try #require(fixture["confusion"] as? [[Int]])
    #expect(matrix.values.map { $0.map { Int($0) } } == expected)
    let report = try ClassificationReport(predicted: predicted, truth: truth, classes: classes)
    let sk = try #require(fixture["report"] as? [String: Any])
    func check(_ row: ClassificationReport.Row, _ key: String) throws {
      let r = try #require(sk[key] as? [String: Double])
      #expect(abs(row.precision - (r["precision"] ?? -1)) < 1e-12, "\(key) precision")
      #expect(abs(row.recall - (r["recall"] ?? -1)) < 1e-12, "\(key) recall")
      #expect(abs(row.f1 - (r["f1-score"] ?? -1)) < 1e-12, "\(key) f1")
      #expect(Double(row.support) == r["support"], "\(key) support")
    }
    for (k, row) in report.rows.enumerated() { try check(row, String(k)) }
    try check(report.macro, "macro avg")
    try check(report.weighted, "weighted avg")
    #expect(abs(report.accuracy - (sk["accuracy"] as? Double ?? -1)) < 1e-12)
  }

  @Test func classCorrelationIsSymmetricWithStrongDiagonal() throws {
    let data = try FashionMNIST.load(directory: fixtures)
    let net = try Sequential([Flatten(), try Linear(units: 32), Activation(.relu), try Linear(units: 10)])
    _ = try fit(
      net, on: data.train, optimizer: Adam(learningRate: 3e-3), options: FitOptions(epochs: 3, batchSize: 50),
      initRNG: RandomSource(seed: 1))
    let m = try classCorrelation(net, data.test, at: "relu1", perClass: 20)
    #expect(m.values.count == 10)
    for i in 0..<10 {
      for j in 0..<10 { #expect(abs(m.values[i][j] - m.values[j][i]) < 1e-5) }
      let offDiagonal = (0..<10).filter { $0 != i }.map { m.values[i][$0] }.reduce(0, +) / 9
      #expect(m.values[i][i] > offDiagonal)
    }
  }

  @Test func featuresComeFromTheNamedLayer() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    let net = try Sequential([Flatten(), try Linear(units: 7), Activation(.relu), try Linear(units: 10)])
    try net.build(inputShape: [1, 28, 28], rng: RandomSource(seed: 1))
    let f = try features(net, data, at: "dense1", n: 120)
    #expect(f.points.shape == [120, 7] && f.labels == Array(data.labels.prefix(120)))
    #expect(throws: LayerError.self) { try features(net, data, at: "nosuch") }
  }
}

@Suite struct UMAPTests {
  static func pixels(_ data: Dataset) throws -> Embedding {
    try Embedding(
      points: try data.images.reshaped([data.count, -1]), labels: data.labels, classes: data.classes, source: "pixels")
  }

  /// How often the majority class of a point's k nearest reference points (by euclidean
  /// distance in the embedding) is its own class.
  static func neighbourAccuracy(
    _ points: Embedding, against reference: Embedding, k: Int = 10, excludingSelf: Bool
  ) -> Double {
    let (q, r, d) = (points.points.toArray(), reference.points.toArray(), points.dimensions)
    var correct = 0
    for i in 0..<points.count {
      let distances = (0..<reference.count).filter { !excludingSelf || $0 != i }.map { j in
        (j, (0..<d).reduce(Float(0)) { $0 + (q[i * d + $1] - r[j * d + $1]) * (q[i * d + $1] - r[j * d + $1]) })
      }
      let nearest = distances.sorted { $0.1 < $1.1 }.prefix(k)
      let votes = Dictionary(grouping: nearest.map { reference.labels[$0.0] }, by: { $0 })
      let winner = votes.max {
        $0.value.count < $1.value.count || ($0.value.count == $1.value.count && $0.key > $1.key)
      }
      if winner?.key == points.labels[i] { correct += 1 }
    }
    return Double(correct) / Double(points.count)
  }

  @Test func umapSeparatesTheClassesAndPlacesHeldOutImages() throws {
    let data = try FashionMNIST.load(directory: fixtures)
    let train = try UMAPTests.pixels(data.train)
    var reports: [Int] = []
    let u = try umap(train) { epoch, epochs in
      #expect(epochs == 500)
      reports.append(epoch)
      return false
    }
    #expect(u.points.shape == [1000, 2])
    #expect(reports.count == 50 && reports.last == 500 && u.stoppedEarly == nil)
    let map = try #require(u.map)
    #expect(map.initialisation == .spectral)
    #expect(map.reference.shape == [1000, 50] && map.pca != nil)
    // Chance is 10%.
    let fitted = UMAPTests.neighbourAccuracy(u, against: u, excludingSelf: true)
    #expect(fitted > 0.6, "10-NN accuracy in the map: \(fitted)")
    let placed = try transform(map, try UMAPTests.pixels(data.test))
    #expect(placed.points.shape == [500, 2] && placed.labels == data.test.labels)
    let heldOut = UMAPTests.neighbourAccuracy(placed, against: u, excludingSelf: false)
    #expect(heldOut > 0.6, "10-NN accuracy of the placed test images: \(heldOut)")
  }

  /// openTSNE's transform: held-out images placed into a t-SNE map of the training slice.
  @Test func tsneMapsPlaceHeldOutImages() throws {
    let data = try FashionMNIST.load(directory: fixtures)
    var options = TSNEOptions()
    options.iterations = 500
    let t = try tsne(try UMAPTests.pixels(data.train), options: options)
    let map = try #require(t.map)
    #expect(map.method == .tsne && map.reference.shape == [1000, 50])
    var reports: [Int] = []
    let placed = try transform(map, try UMAPTests.pixels(data.test)) { iteration, of in
      #expect(of == 250)
      reports.append(iteration)
      return false
    }
    #expect(reports == [50, 100, 150, 200, 250])
    #expect(placed.points.shape == [500, 2] && placed.labels == data.test.labels)
    let heldOut = UMAPTests.neighbourAccuracy(placed, against: t, excludingSelf: false)
    #expect(heldOut > 0.6, "10-NN accuracy of the placed test images: \(heldOut)")
    let again = try transform(map, try UMAPTests.pixels(data.test))
    #expect(again.points.toArray().map(\.bitPattern) == placed.points.toArray().map(\.bitPattern))
    // Stopped early, the points are kept and said to be unfinished.
    let stopped = try transform(map, try UMAPTests.pixels(data.test)) { iteration, _ in iteration >= 100 }
    #expect(stopped.stoppedEarly?.iteration == 100 && stopped.points.toArray().allSatisfy(\.isFinite))
  }

  @Test func seededRunsRepeatBitForBit() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    let e = try UMAPTests.pixels(data)
    var options = UMAPOptions()
    options.epochs = 60
    let a = try umap(e, options: options), b = try umap(e, options: options)
    #expect(a.points.toArray().map(\.bitPattern) == b.points.toArray().map(\.bitPattern))
    options.seed = 2
    let c = try umap(e, options: options)
    #expect(a.points.toArray() != c.points.toArray())
    let map = try #require(a.map)
    let first = try transform(map, e), second = try transform(map, e)
    #expect(first.points.toArray().map(\.bitPattern) == second.points.toArray().map(\.bitPattern))
  }

  @Test func cosineThreeDimensionsAndAnEarlyStop() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    var options = UMAPOptions()
    options.metric = .cosine
    options.dims = 3
    options.k = 10
    let u = try umap(try UMAPTests.pixels(data), options: options) { epoch, _ in epoch >= 20 }
    #expect(u.points.shape == [500, 3])
    #expect(u.stoppedEarly?.iteration == 20 && u.stoppedEarly?.of == 500)
    #expect(u.points.toArray().allSatisfy { $0.isFinite })
  }

  @Test func badArgumentsAreClearErrors() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    let e = try UMAPTests.pixels(data)
    var options = UMAPOptions()
    options.k = 600
    #expect(throws: TensorError.self) { try umap(e, options: options) }
    options = UMAPOptions()
    options.minDist = 2
    #expect(throws: TensorError.self) { try umap(e, options: options) }
    options = UMAPOptions()
    options.epochs = 5
    let map = try #require(try umap(e, options: options).map)
    let narrow = try Embedding(points: Tensor(zeros: [3, 7]), labels: [0, 0, 0], classes: ["a"], source: "t")
    #expect(throws: TensorError.self) { try transform(map, narrow) }
  }
}
