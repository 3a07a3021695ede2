import CKernel
import Data
import Foundation
import NN
import Tensor

/// An embedding file (`.atle`): a safetensors file whose tensors are the points (n, d), the
/// labels (n, class indices as float32) and, for a UMAP or t-SNE result, its map's
/// reference points, PCA components and fitted layout (`map.layout`, left out when it is
/// the points themselves, as in a fit's own result), and whose metadata holds the rest as
/// JSON. The replay cache keeps embeddings in the same bytes.
///
/// A file may come from anyone: before anything uses it, its shapes must fit together,
/// its labels be classes, its numbers be finite, its names be known and its settings lie
/// within what `umap` and `tsne` accept. The same checks run before a file is written, so
/// that a file Atelier writes is one it reads.
public enum EmbeddingFile {
  public static let format = "atelier-embedding-1"
  public static let fileExtension = ".atle"
  /// The most epochs `umap` takes, so the most a map's transform can run.
  public static let maxEpochs = 100_000

  public static func write(_ embedding: Embedding, to path: String) throws {
    try AtomicFile.write(try data(of: embedding, naming: path), to: path)
  }

  public static func read(_ path: String) throws -> Embedding {
    try embedding(from: try SafeTensors.read(path), path: path)
  }

  /// The file's bytes; `name` names the embedding in errors.
  public static func data(of embedding: Embedding, naming name: String) throws -> Data {
    let (header, tensors) = try parts(of: embedding)
    do {
      _ = try assemble(header, tensors)
    } catch let problem as Problem {
      throw DataError(path: name, problem: "cannot be written: \(problem.text)")
    }
    let metadata = [
      "format": format, "atelier_version": AtelierVersion.number,
      "embedding": String(decoding: try encoder.encode(header), as: UTF8.self),
    ]
    let order = ["points", "labels", "map.reference", "map.layout", "map.pca.components"]
    return try SafeTensors.encode(
      order.compactMap { name in tensors[name].map { (name: name, tensor: $0) } }, metadata: metadata)
  }

  /// The embedding in a file's bytes; `name` names them in errors.
  public static func embedding(from data: Data, naming name: String) throws -> Embedding {
    try embedding(from: try SafeTensors.decode(data, path: name), path: name)
  }

  static func embedding(from file: SafeTensors.File, path: String) throws -> Embedding {
    guard file.metadata["format"] == format, let text = file.metadata["embedding"] else {
      let isModel = file.metadata["format"] == Checkpoint.format
      throw DataError(
        path: path,
        problem: isModel ? "is an Atelier model file, not an embedding" : "is not an Atelier embedding file",
        hint: isModel ? "a model file ends in .atlm: load(\"model.atlm\")" : "save(e, \"name.atle\") writes one")
    }
    let header: Header
    do {
      header = try decoder.decode(Header.self, from: Data(text.utf8))
    } catch {
      throw DataError(path: path, problem: "has embedding metadata that cannot be read: \(reason(error))")
    }
    do {
      return try assemble(header, file.tensors)
    } catch let problem as Problem {
      throw DataError(path: path, problem: "is not a usable embedding file: \(problem.text)")
    }
  }

  // MARK: - The file's parts

  struct Header: Codable {
    var source: String
    var classes: [String]
    var explainedVarianceRatio: [Double]?
    var klDivergence: Double?
    var stoppedEarly: Stop?
    var map: Map?

    enum CodingKeys: String, CodingKey {
      case source, classes, map
      case explainedVarianceRatio = "explained_variance_ratio"
      case klDivergence = "kl_divergence"
      case stoppedEarly = "stopped_early"
    }
  }

  /// Counts are read as numbers and then checked, so that an error can say which count
  /// is wrong: a decoder that meets 1e300 for a whole number says only that the JSON is bad.
  struct Stop: Codable {
    var iteration: Double
    var of: Double
  }

  struct Map: Codable {
    var method: String
    var metric: String
    var initialisation: String
    var k: Double
    var a: Double
    var b: Double
    var epochs: Double?
    /// A string: JSON numbers are doubles to many readers, and a seed is 64 bits.
    var seed: String
    var dof: Double
    var inputDimensions: Double
    var pca: PCAHeader?

    enum CodingKeys: String, CodingKey {
      case method, metric, initialisation, k, a, b, epochs, seed, dof, pca
      case inputDimensions = "input_dimensions"
    }
  }

  struct PCAHeader: Codable {
    var mean: [Double]
    var explainedVariance: [Double]
    var explainedVarianceRatio: [Double]

    enum CodingKeys: String, CodingKey {
      case mean
      case explainedVariance = "explained_variance"
      case explainedVarianceRatio = "explained_variance_ratio"
    }
  }

  static func parts(of e: Embedding) throws -> (Header, [String: Tensor]) {
    var tensors = ["points": e.points, "labels": try Tensor(e.labels.map(Float.init), shape: [e.labels.count])]
    var header = Header(
      source: e.source, classes: e.classes, explainedVarianceRatio: e.explainedVarianceRatio,
      klDivergence: e.klDivergence,
      stoppedEarly: e.stoppedEarly.map { Stop(iteration: Double($0.iteration), of: Double($0.of)) })
    if let map = e.map {
      tensors["map.reference"] = map.reference
      if map.embedding !== e.points { tensors["map.layout"] = map.embedding }
      if let pca = map.pca { tensors["map.pca.components"] = pca.components }
      header.map = Map(
        method: map.method.rawValue, metric: map.metric.rawValue, initialisation: map.initialisation.rawValue,
        k: Double(map.k), a: map.a, b: map.b, epochs: map.epochs.map(Double.init), seed: String(map.seed),
        dof: map.dof, inputDimensions: Double(map.inputDimensions),
        pca: map.pca.map {
          PCAHeader(
            mean: $0.mean, explainedVariance: $0.explainedVariance, explainedVarianceRatio: $0.explainedVarianceRatio)
        })
    }
    return (header, tensors)
  }

  /// What is wrong with a file's parts, said as a noun phrase: "499 labels for 500 points".
  struct Problem: Error {
    let text: String
    init(_ text: String) { self.text = text }
  }

  /// The embedding the parts make, once every part is checked against the others.
  static func assemble(_ header: Header, _ tensors: [String: Tensor]) throws -> Embedding {
    let points = try matrix("points", in: tensors)
    let n = points.shape[0]
    guard atl_all_finite(points.data, Int64(points.count)) != 0 else {
      throw Problem("points that are NaN or infinite")
    }
    guard let labelTensor = tensors["labels"] else { throw Problem("no labels") }
    guard labelTensor.shape == [n] else {
      throw Problem("labels of shape \(describe(shape: labelTensor.shape)) for \(n) points (one label a point)")
    }
    let classes = header.classes
    guard classes.count <= 1 << 24 else { throw Problem("\(classes.count) classes, more than a file holds") }
    var labels = [Int32](repeating: 0, count: n)
    for i in 0..<n {
      let label = labelTensor[flat: i]
      guard label >= 0, label < Float(classes.count), label.rounded() == label else {
        throw Problem(
          classes.isEmpty
            ? "labels but no classes" : "label \(label) of point \(i), not a class index from 0 to \(classes.count - 1)"
        )
      }
      labels[i] = Int32(label)
    }
    if let ratios = header.explainedVarianceRatio, !ratios.allSatisfy(\.isFinite) {
      throw Problem("explained variance ratios that are not finite")
    }
    if let kl = header.klDivergence, kl.isInfinite { throw Problem("an infinite KL divergence") }
    var stoppedEarly: (iteration: Int, of: Int)?
    if let stop = header.stoppedEarly {
      let of = try whole(stop.of, "the steps of a stopped fit", from: 1, to: Int(Int32.max))
      stoppedEarly = (try whole(stop.iteration, "the step a fit stopped at", from: 0, to: of), of)
    }
    var embedding = try Embedding(points: points, labels: labels, classes: classes, source: header.source)
    embedding.explainedVarianceRatio = header.explainedVarianceRatio
    embedding.klDivergence = header.klDivergence
    embedding.stoppedEarly = stoppedEarly
    if let map = header.map {
      embedding.map = try assembleMap(map, tensors, points: points)
    } else if tensors.keys.contains(where: { $0.hasPrefix("map.") }) {
      throw Problem("map tensors without a map in the metadata")
    }
    return embedding
  }

  static func assembleMap(_ header: Map, _ tensors: [String: Tensor], points: Tensor) throws -> EmbeddingMap {
    guard let method = EmbeddingMap.Method(rawValue: header.method) else {
      throw Problem("an unknown method \"\(header.method)\" (\(known(EmbeddingMap.Method.self)))")
    }
    guard let metric = UMAPOptions.Metric(rawValue: header.metric) else {
      throw Problem("an unknown metric \"\(header.metric)\" (\(known(UMAPOptions.Metric.self)))")
    }
    guard let initialisation = EmbeddingMap.Initialisation(rawValue: header.initialisation) else {
      throw Problem(
        "an unknown initialisation \"\(header.initialisation)\" (\(known(EmbeddingMap.Initialisation.self)))")
    }
    guard let seed = UInt64(header.seed) else { throw Problem("a seed \"\(header.seed)\" that is not a whole number") }
    let reference = try matrix("map.reference", in: tensors)
    let layout = tensors["map.layout"] == nil ? points : try matrix("map.layout", in: tensors)
    let (rows, width, dims) = (reference.shape[0], reference.shape[1], layout.shape[1])
    guard layout.shape[0] == rows else {
      throw Problem("\(rows) reference points but \(layout.shape[0]) in the map's layout")
    }
    guard rows >= 2, rows <= Int(Int32.max), width >= 1, dims >= 1 else {
      throw Problem("a map of \(describe(shape: reference.shape)) reference points in \(dims) dimensions")
    }
    guard hasBoundedRows(reference), hasBoundedRows(layout) else {
      throw Problem("map points that are NaN, infinite or too large to measure distances between")
    }
    let inputDimensions = try whole(header.inputDimensions, "the input dimensions", from: 1, to: Int(Int32.max))
    var pca: PCA?
    if let spec = header.pca {
      guard let components = tensors["map.pca.components"] else { throw Problem("a PCA without components") }
      guard components.shape == [width, inputDimensions], spec.mean.count == inputDimensions,
        spec.explainedVariance.count == width, spec.explainedVarianceRatio.count == width
      else {
        throw Problem(
          "a PCA of components \(describe(shape: components.shape)), \(spec.mean.count) means and "
            + "\(spec.explainedVariance.count) variances, for reference points of \(width) dimensions reduced from "
            + "\(inputDimensions)")
      }
      let largest = Double(Float.greatestFiniteMagnitude)
      guard atl_all_finite(components.data, Int64(components.count)) != 0,
        spec.mean.allSatisfy({ abs($0) <= largest }),
        (spec.explainedVariance + spec.explainedVarianceRatio).allSatisfy({ $0.isFinite && $0 >= 0 })
      else { throw Problem("a PCA whose numbers are not finite") }
      pca = try PCA(
        mean: spec.mean, components: components, explainedVariance: spec.explainedVariance,
        explainedVarianceRatio: spec.explainedVarianceRatio)
    } else if tensors["map.pca.components"] != nil {
      throw Problem("PCA components without a PCA in the metadata")
    } else if width != inputDimensions {
      throw Problem("reference points of \(width) dimensions for a map of \(inputDimensions) without PCA")
    }
    guard header.a.isFinite, header.b.isFinite else { throw Problem("a curve (a, b) that is not finite") }
    let epochs = try header.epochs.map { try whole($0, "epochs", from: 1, to: maxEpochs) }
    // t-SNE places points by perplexity, not k: its k is only kept.
    let k = try whole(header.k, "k", from: method == .umap ? 2 : 1, to: method == .umap ? rows - 1 : Int(Int32.max))
    switch method {
    case .umap:
      guard header.a > 0, header.b > 0 else { throw Problem("a curve a \(header.a), b \(header.b), not positive") }
    case .tsne:
      guard dims == 2 else { throw Problem("a t-SNE layout in \(dims) dimensions (t-SNE maps are 2-D)") }
    }
    guard header.dof > 0, header.dof <= 100 else { throw Problem("dof \(header.dof), not in (0, 100]") }
    let map = EmbeddingMap(
      reference: reference, pca: pca, inputDimensions: inputDimensions, k: k, metric: metric, a: header.a, b: header.b,
      epochs: epochs, seed: seed, embedding: layout, initialisation: initialisation)
    map.method = method
    map.dof = header.dof
    return map
  }

  /// A count read as a number: whole, from `lower` to `upper`.
  static func whole(_ value: Double, _ name: String, from lower: Int, to upper: Int) throws -> Int {
    guard value.rounded() == value, abs(value) < 0x1p53, value >= Double(lower), value <= Double(upper) else {
      let shown = value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
      throw Problem("\(name) \(shown), not a whole number from \(lower) to \(upper)")
    }
    return Int(value)
  }

  /// The tensor `name`, which must be a matrix (rows, columns).
  static func matrix(_ name: String, in tensors: [String: Tensor]) throws -> Tensor {
    guard let tensor = tensors[name] else { throw Problem("no \(name)") }
    guard tensor.rank == 2 else {
      throw Problem("\(name) of shape \(describe(shape: tensor.shape)), not (rows, columns)")
    }
    return tensor
  }

  static func known<Option: RawRepresentable & CaseIterable>(_: Option.Type) -> String
  where Option.RawValue == String {
    "known: " + Option.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
  }

  /// A decoding error as the file's keys name it: "no map.seed", "map.seed is not a string".
  static func reason(_ error: Error) -> String {
    func path(_ keys: [CodingKey]) -> String {
      keys.reduce("") { text, key in
        if let index = key.intValue { return text + "[\(index)]" }
        return text.isEmpty ? key.stringValue : text + "." + key.stringValue
      }
    }
    guard let error = error as? DecodingError else { return "\(error)" }
    switch error {
    case .keyNotFound(let key, let context): return "no \(path(context.codingPath + [key]))"
    case .valueNotFound(let type, let context), .typeMismatch(let type, let context):
      return "\(path(context.codingPath)) is not \(kind(type))"
    case .dataCorrupted(let context):
      return context.codingPath.isEmpty ? "it is not JSON" : "\(path(context.codingPath)) is not a value of its kind"
    @unknown default: return "\(error)"
    }
  }

  static func kind(_ type: Any.Type) -> String {
    switch type {
    case is Double.Type: return "a number"
    case is String.Type: return "a string"
    case is [String].Type: return "a list of strings"
    case is [Double].Type: return "a list of numbers"
    default: return "what it must be"
    }
  }

  static var encoder: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    // A t-SNE stopped before its first report has no KL divergence yet: NaN.
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return encoder
  }

  static var decoder: JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return decoder
  }
}

/// Whether every row of a matrix is finite with a squared length under a quarter of
/// float's largest: the neighbour search's |q|² + |r|² − 2 q·r then cannot overflow, and a
/// distance that came out NaN would leave a point without neighbours.
func hasBoundedRows(_ t: Tensor) -> Bool {
  let (rows, width) = (t.shape[0], t.shape[1])
  let bound = Double(Float.greatestFiniteMagnitude) / 4
  for i in 0..<rows where !(atl_sum_squares(t.data + i * width, Int64(width)) < bound) { return false }
  return true
}
