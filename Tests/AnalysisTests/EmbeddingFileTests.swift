import Data
import Foundation
import Testing

@testable import Analysis
@testable import NN
@testable import Tensor

/// `.atle` files: an embedding and its map written and read back, so that new points land
/// where the original map puts them; and files someone sent that do not fit together.
@Suite struct EmbeddingFileTests {
  static func temporary(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("atle-\(UUID().uuidString)-\(name)").path
  }

  /// 300 training images to fit, and 100 held-out test images to place.
  static func slices() throws -> (train: Embedding, test: Embedding) {
    let data = try FashionMNIST.load(directory: fixtures)
    return (
      try UMAPTests.pixels(try data.train.subset(Array(0..<300))),
      try UMAPTests.pixels(try data.test.subset(Array(0..<100)))
    )
  }

  static func bits(_ t: Tensor) -> [UInt32] { t.toArray().map(\.bitPattern) }

  /// Written, read back, and compared part by part; returns what was read.
  @discardableResult
  static func roundTrip(_ e: Embedding) throws -> Embedding {
    let path = temporary("e.atle")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try EmbeddingFile.write(e, to: path)
    let back = try EmbeddingFile.read(path)
    #expect(bits(back.points) == bits(e.points) && back.points.shape == e.points.shape)
    #expect(back.labels == e.labels && back.classes == e.classes && back.source == e.source)
    #expect(back.explainedVarianceRatio == e.explainedVarianceRatio)
    #expect(back.klDivergence?.bitPattern == e.klDivergence?.bitPattern)
    #expect(back.stoppedEarly?.iteration == e.stoppedEarly?.iteration && back.stoppedEarly?.of == e.stoppedEarly?.of)
    #expect((back.map == nil) == (e.map == nil))
    if let map = e.map, let read = back.map {
      #expect(read.method == map.method && read.metric == map.metric && read.initialisation == map.initialisation)
      #expect(read.k == map.k && read.a == map.a && read.b == map.b && read.epochs == map.epochs)
      #expect(read.seed == map.seed && read.dof == map.dof && read.inputDimensions == map.inputDimensions)
      #expect(bits(read.reference) == bits(map.reference) && read.reference.shape == map.reference.shape)
      #expect(bits(read.embedding) == bits(map.embedding))
      // The fit's layout is its points: read back as one tensor again.
      #expect(read.embedding === back.points)
      #expect(read.pca?.mean == map.pca?.mean)
      #expect(read.pca?.explainedVariance == map.pca?.explainedVariance)
      #expect(read.pca?.explainedVarianceRatio == map.pca?.explainedVarianceRatio)
      #expect(read.pca.map { bits($0.components) } == map.pca.map { bits($0.components) })
    }
    return back
  }

  @Test func aUMAPMapPlacesNewPointsAsTheOriginalDoes() throws {
    let (train, test) = try EmbeddingFileTests.slices()
    var options = UMAPOptions()
    (options.k, options.epochs, options.seed) = (10, 30, 7)
    let u = try umap(train, options: options)
    let map = try #require(u.map)
    #expect(map.pca != nil && map.method == .umap)
    let back = try EmbeddingFileTests.roundTrip(u)
    let placed = try transform(try #require(back.map), test)
    #expect(EmbeddingFileTests.bits(placed.points) == EmbeddingFileTests.bits(try transform(map, test).points))
    #expect(placed.labels == test.labels)
  }

  @Test func aTSNEMapPlacesNewPointsAsTheOriginalDoes() throws {
    let (train, test) = try EmbeddingFileTests.slices()
    var options = TSNEOptions()
    (options.perplexity, options.iterations, options.dof) = (10, 100, 0.7)
    let t = try tsne(train, options: options)
    let map = try #require(t.map)
    #expect(map.method == .tsne && t.klDivergence != nil)
    let back = try EmbeddingFileTests.roundTrip(t)
    let placed = try transform(try #require(back.map), test)
    #expect(EmbeddingFileTests.bits(placed.points) == EmbeddingFileTests.bits(try transform(map, test).points))
  }

  /// A map without PCA of its own (its input had few dimensions), cosine, in 3-D.
  @Test func aCosineMapOfFewDimensionsRoundTrips() throws {
    let (train, test) = try EmbeddingFileTests.slices()
    let reduced = try pca(train, components: 10)
    var options = UMAPOptions()
    (options.k, options.epochs, options.metric, options.dims) = (8, 20, .cosine, 3)
    let u = try umap(reduced, options: options)
    #expect(u.map?.pca == nil)
    let back = try EmbeddingFileTests.roundTrip(u)
    let model = try PCA(fitting: train.points, components: 10)
    let query = try Embedding(
      points: try model.transform(test.points), labels: test.labels, classes: test.classes, source: "test")
    let expected = try transform(try #require(u.map), query)
    #expect(
      EmbeddingFileTests.bits(try transform(try #require(back.map), query).points)
        == EmbeddingFileTests.bits(expected.points))
  }

  @Test func embeddingsWithoutAMapRoundTrip() throws {
    let (train, _) = try EmbeddingFileTests.slices()
    var p = try pca(train, components: 2)
    #expect(p.map == nil && p.explainedVarianceRatio != nil)
    try EmbeddingFileTests.roundTrip(p)
    // A t-SNE stopped before its first report has no KL divergence yet: NaN goes and comes back.
    p.klDivergence = .nan
    p.stoppedEarly = (20, 500)
    #expect(try EmbeddingFileTests.roundTrip(p).klDivergence?.isNaN == true)
    let none = try Embedding(points: Tensor(zeros: [0, 4]), labels: [], classes: [], source: "nothing")
    try EmbeddingFileTests.roundTrip(none)
  }

  // MARK: - Files that do not fit together

  /// A small UMAP fit's file, as parts to spoil.
  static func validFile() throws -> (header: [String: Any], tensors: [String: Tensor], metadata: [String: String]) {
    let (train, _) = try slices()
    var options = UMAPOptions()
    (options.k, options.epochs) = (5, 5)
    let u = try umap(
      try Embedding(
        points: try train.points.rows(0, 60), labels: Array(train.labels.prefix(60)), classes: train.classes,
        source: "pixels"), options: options)
    let file = try SafeTensors.decode(try EmbeddingFile.data(of: u, naming: "test"), path: "test")
    let header = try JSONSerialization.jsonObject(with: Data(try #require(file.metadata["embedding"]).utf8))
    return (try #require(header as? [String: Any]), file.tensors, file.metadata)
  }

  /// The error reading `bytes` from a file gives.
  static func readError(_ bytes: Data) throws -> String {
    let path = temporary("bad.atle")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try bytes.write(to: URL(fileURLWithPath: path))
    do {
      _ = try EmbeddingFile.read(path)
    } catch let error as UserError {
      #expect(error.userMessage.hasPrefix(path + ": "), "\(error.userMessage)")
      return error.userMessage
    }
    Issue.record("the file was read")
    return ""
  }

  static func bytes(
    header: [String: Any], tensors: [String: Tensor], metadata: [String: String]
  ) throws -> Data {
    var metadata = metadata
    metadata["embedding"] = String(decoding: try JSONSerialization.data(withJSONObject: header), as: UTF8.self)
    return try SafeTensors.encode(
      tensors.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }, metadata: metadata)
  }

  @Test func aTruncatedFileIsAClearError() throws {
    let (header, tensors, metadata) = try EmbeddingFileTests.validFile()
    let whole = try EmbeddingFileTests.bytes(header: header, tensors: tensors, metadata: metadata)
    for length in [0, 5, 8, 200, whole.count / 2, whole.count - 1] {
      let message = try EmbeddingFileTests.readError(whole.prefix(length))
      #expect(message.contains("truncated") || message.contains("too short"), "\(length): \(message)")
    }
  }

  @Test func partsThatDoNotFitTogetherAreClearErrors() throws {
    let (header, tensors, metadata) = try EmbeddingFileTests.validFile()
    func error(
      header edit: (inout [String: Any]) -> Void = { _ in }, tensors change: (inout [String: Tensor]) -> Void = { _ in }
    ) throws -> String {
      var (h, t) = (header, tensors)
      edit(&h)
      change(&t)
      return try EmbeddingFileTests.readError(try EmbeddingFileTests.bytes(header: h, tensors: t, metadata: metadata))
    }
    func editMap(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
      { h in
        var map = h["map"] as? [String: Any] ?? [:]
        map[key] = value
        h["map"] = map
      }
    }
    #expect(try error(tensors: { $0["labels"] = Tensor(zeros: [59]) }).contains("labels of shape [59] for 60 points"))
    #expect(try error(tensors: { $0["labels"] = Tensor.full([60], 10) }).contains("not a class index from 0 to 9"))
    #expect(try error(header: editMap("method", "isomap")).contains("unknown method \"isomap\""))
    #expect(try error(header: editMap("metric", "manhattan")).contains("unknown metric \"manhattan\""))
    #expect(try error(header: editMap("initialisation", "pca")).contains("unknown initialisation \"pca\""))
    #expect(try error(header: editMap("k", 60)).contains("k 60, not a whole number from 2 to 59"))
    #expect(try error(header: editMap("k", 1e300)).contains("k 1e+300, not a whole number from 2 to 59"))
    #expect(try error(header: editMap("k", 2.5)).contains("k 2.5, not a whole number"))
    #expect(
      try error(header: editMap("epochs", 1 << 40)).contains(
        "epochs 1099511627776, not a whole number from 1 to 100000"))
    #expect(try error(header: editMap("seed", "-1")).contains("seed \"-1\" that is not a whole number"))
    #expect(try error(header: editMap("b", -1)).contains("not positive"))
    #expect(try error(header: editMap("seed", 3)).contains("map.seed is not a string"))
    #expect(try error(header: { $0["map"] = nil }).contains("map tensors without a map"))
    #expect(
      try error(header: { $0["classes"] = nil }).contains("has embedding metadata that cannot be read: no classes"))
    #expect(
      try error(tensors: { $0["map.layout"] = Tensor(zeros: [59, 2]) }).contains(
        "60 reference points but 59 in the map's layout"))
    #expect(
      try error(tensors: { $0["map.pca.components"] = Tensor(zeros: [50, 783]) }).contains(
        "a PCA of components [50, 783]"))
    #expect(try error(tensors: { $0["map.pca.components"] = nil }).contains("a PCA without components"))
    #expect(
      try error(tensors: { $0["map.reference"] = Tensor(zeros: [60, 50, 1]) }).contains(
        "map.reference of shape [60, 50, 1]"))
    let poisoned = tensors["map.reference"]!.copy()
    poisoned[flat: 7] = .nan
    #expect(try error(tensors: { $0["map.reference"] = poisoned }).contains("NaN, infinite or too large"))
    let huge = tensors["map.reference"]!.copy()
    huge[flat: 7] = 1e30
    #expect(try error(tensors: { $0["map.reference"] = huge }).contains("too large"))
    var other = metadata
    other["format"] = Checkpoint.format
    #expect(
      try EmbeddingFileTests.readError(try EmbeddingFileTests.bytes(header: header, tensors: tensors, metadata: other))
        .contains("is an Atelier model file, not an embedding"))
  }

  /// A shape far past the file's bytes (and past any memory) is refused before any allocation.
  @Test func aHugeDeclaredShapeIsAClearError() throws {
    let (header, tensors, metadata) = try EmbeddingFileTests.validFile()
    let original = [UInt8](try EmbeddingFileTests.bytes(header: header, tensors: tensors, metadata: metadata))
    let length = original.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(original[8..<(8 + length)])) as? [String: Any])
    for shape in [[1 << 40, 1 << 40], [Int.max, 2], [-1, 2], [60, 784, 1 << 50]] {
      var (edited, points) = (json, try #require(json["points"] as? [String: Any]))
      points["shape"] = shape
      edited["points"] = points
      let text = [UInt8](try JSONSerialization.data(withJSONObject: edited))
      let bytes = (0..<8).map { UInt8((text.count >> (8 * $0)) & 0xFF) } + text + original[(8 + length)...]
      let message = try EmbeddingFileTests.readError(Data(bytes))
      #expect(message.contains("'points' whose byte range does not fit its shape"), "\(shape): \(message)")
    }
  }

  /// What cannot be read back is not written either.
  @Test func anEmbeddingThatWouldNotReadBackIsNotWritten() throws {
    let points = Tensor.full([3, 2], .infinity)
    let e = try Embedding(points: points, labels: [0, 0, 0], classes: ["a"], source: "diverged")
    let path = EmbeddingFileTests.temporary("no.atle")
    let error = #expect(throws: DataError.self) { try EmbeddingFile.write(e, to: path) }
    #expect(error?.userMessage == "\(path): cannot be written: points that are NaN or infinite")
    #expect(!FileManager.default.fileExists(atPath: path))
    let unlabelled = try Embedding(points: Tensor(zeros: [2, 2]), labels: [0, 3], classes: ["a"], source: "t")
    #expect(throws: DataError.self) { try EmbeddingFile.write(unlabelled, to: path) }
  }

  /// New points NaN (a diverged model's features) are refused before the neighbour search.
  @Test func nonFiniteNewPointsAreRefused() throws {
    let (train, _) = try EmbeddingFileTests.slices()
    var options = UMAPOptions()
    (options.k, options.epochs) = (5, 5)
    let map = try #require(try umap(try pca(train, components: 10), options: options).map)
    let query = Tensor(zeros: [3, 10])
    query[flat: 4] = .nan
    let e = try Embedding(points: query, labels: [0, 0, 0], classes: train.classes, source: "nan")
    let error = #expect(throws: TensorError.self) { try transform(map, e) }
    #expect(error?.userMessage.contains("NaN or infinite") == true)
  }
}
