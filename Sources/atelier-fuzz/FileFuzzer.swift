import Analysis
import Data
import Foundation
import Lang
import NN
import Tensor

/// Files someone might send: valid IDX, safetensors, `.atlm` and `.atle` files, mutated by
/// bit flips, truncations and header integers set to 0, -1, 2^31 and 2^63 (in the IDX
/// header, the safetensors header length, and every number of the JSON headers).
/// Each is read and, when it reads, used: images converted and gathered, weights
/// imported and run, a checkpoint resumed for a step, new points placed in an embedding's
/// map and the embedding printed and written as CSV. Every rejection must be a clear error.
struct FileFuzzer {
  let repository: String
  let watchdog: Watchdog

  enum Kind: CaseIterable { case idx, safetensors, checkpoint, embedding }

  func run(count: Int) -> [String] {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-fuzz-files-\(getpid())")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let fixtures = repository + "/Tests/Fixtures"
    var failures: [String] = []
    // The folder stays when the process dies on a case, so that the case can be replayed.
    defer { try? FileManager.default.removeItem(at: folder) }
    do {
      let seeds = try Seeds(fixtures: fixtures, folder: folder.path)
      var g = Generator(state: 31)
      for kind in Kind.allCases {
        let originals = seeds.files(of: kind)
        // Mutations that still read and work: a kind whose every case is refused at once
        // would exercise only the first check.
        var used = 0
        for n in 0..<count {
          let original = g.pick(originals)
          let bytes = mutate(original, kind: kind, &g)
          // One file per kind, written once: after a crash it is the input that crashed,
          // and the watchdog's note says where it is.
          let suffix = kind == .checkpoint ? ".atlm" : kind == .embedding ? EmbeddingFile.fileExtension : ""
          let path = folder.appendingPathComponent("case" + suffix).path
          try bytes.write(to: URL(fileURLWithPath: path))
          watchdog.run("\(kind) file \(n)", input: Data("the input is the file \(path)\n".utf8)) {
            do {
              try use(path, kind: kind, seeds: seeds)
              used += 1
            } catch let error as UserError {
              if error.userMessage.isEmpty { failures.append("\(kind) file \(n): an empty error message") }
            } catch {
              failures.append("\(kind) file \(n): not a clear error: \(error)")
            }
          }
        }
        print("files: \(count) mutated \(kind) files, \(used) read and used")
      }
    } catch {
      failures.append("the seed files could not be made: \(error)")
    }
    return failures
  }

  /// Reads a file and puts what it holds to work.
  func use(_ path: String, kind: Kind, seeds: Seeds) throws {
    switch kind {
    case .idx:
      let images = try Dataset.fromIDX(images: path, labels: seeds.labels, classes: seeds.classes, name: "fuzz")
      _ = images.gather([0, images.count - 1]).images
      _ = try images.mapBatches(size: 7, count: min(images.count, 20)) { $0.scaled(by: 2) }
    case .safetensors:
      // Built first: importing into a net without parameters refuses every file before reading it.
      let net = try FileFuzzer.lenet5()
      try net.build(inputShape: [1, 28, 28], rng: RandomSource(seed: 1))
      try WeightExchange.importWeights(into: net, from: path)
      _ = try net.forward(seeds.batch.images, training: false)
    case .checkpoint:
      let saved = try Checkpoint.load(from: path)
      if let model = saved.model as? Sequential, model.isBuilt {
        _ = try? model.forward(seeds.batch.images, training: false)
      }
      var options = FitOptions(epochs: saved.epoch + 1, batchSize: 4, seed: 1, validation: nil)
      options.resume = path
      let net = try FileFuzzer.lenet5()
      _ = try fit(net, on: seeds.batch, optimizer: Adam(), options: options, initRNG: RandomSource(seed: 1))
    case .embedding:
      let embedding = try EmbeddingFile.read(path)
      _ = Printer.show(.embedding(embedding))
      _ = try CSV.text(for: .embedding(embedding))
      guard let map = embedding.map else { return }
      let query = seeds.queries.first { $0.dimensions == map.inputDimensions } ?? seeds.queries[0]
      let placed = try transform(map, query) { _, _ in takePendingInterrupt() }
      _ = Printer.show(.embedding(placed))
    }
  }

  static func lenet5() throws -> Sequential {
    try Sequential([
      try Conv2d(filters: 6, kernel: 5, padding: 2), Activation(.relu), try MaxPool2d(kernel: 2),
      try Conv2d(filters: 16, kernel: 5), Activation(.relu), try MaxPool2d(kernel: 2), Flatten(),
      try Linear(units: 120), Activation(.relu), try Linear(units: 84), Activation(.relu), try Linear(units: 10),
    ])
  }

  func mutate(_ original: [UInt8], kind: Kind, _ g: inout Generator) -> Data {
    var bytes = original
    switch g.below(4) {
    case 0:  // bit flips
      for _ in 0..<(1 + g.below(8)) where !bytes.isEmpty { bytes[g.below(bytes.count)] ^= 1 << UInt8(g.below(8)) }
    case 1:  // truncation
      bytes = Array(bytes.prefix(g.below(bytes.count + 1)))
    case 2:  // a header integer at an edge
      bytes = kind == .idx ? idxHeaderEdge(bytes, &g) : jsonNumberEdge(bytes, &g)
    default:  // a header integer at an edge, then a flip elsewhere
      bytes = kind == .idx ? idxHeaderEdge(bytes, &g) : jsonNumberEdge(bytes, &g)
      if !bytes.isEmpty { bytes[g.below(bytes.count)] ^= 0xFF }
    }
    return Data(bytes)
  }

  /// One of the 32-bit big-endian sizes of an (uncompressed) IDX header set to an edge value.
  func idxHeaderEdge(_ bytes: [UInt8], _ g: inout Generator) -> [UInt8] {
    guard bytes.count >= 8, bytes[0] == 0 else { return bytes }
    var out = bytes
    let rank = Int(bytes[3])
    let edge: UInt32 = g.pick([0, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF, 1, 0x10000])
    let at = 4 + 4 * g.below(max(rank, 1))
    guard at + 4 <= out.count else { return bytes }
    for k in 0..<4 { out[at + k] = UInt8((edge >> (24 - 8 * UInt32(k))) & 0xFF) }
    if g.chance(4) { out[3] = UInt8(g.pick([0, 4, 5, 255])) }
    return out
  }

  /// The safetensors header length, or one number in the JSON header (shapes, offsets,
  /// layer settings inside the metadata), set to an edge value; the length is kept right
  /// so that the change reaches the code that reads the number.
  func jsonNumberEdge(_ bytes: [UInt8], _ g: inout Generator) -> [UInt8] {
    guard bytes.count >= 8 else { return bytes }
    let length = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    if g.chance(5) {  // the length itself
      let edge: UInt64 = g.pick([0, UInt64.max, 1 << 31, 1 << 63, length + 1, length - 1])
      return (0..<8).map { UInt8((edge >> (8 * UInt64($0))) & 0xFF) } + bytes.dropFirst(8)
    }
    guard length < UInt64(bytes.count - 8) else { return bytes }
    var header = Array(bytes[8..<(8 + Int(length))])
    let body = bytes[(8 + Int(length))...]
    // Positions where a run of digits starts.
    let starts = header.indices.filter { i in
      (48...57).contains(header[i]) && (i == 0 || !(48...57).contains(header[i - 1]) && header[i - 1] != 46)
    }
    guard !starts.isEmpty else { return bytes }
    let start = g.pick(starts)
    var end = start
    while end < header.count, (48...57).contains(header[end]) { end += 1 }
    let edge = g.pick(["0", "-1", "2147483648", "9223372036854775808", "4294967296", "1e308", "-9223372036854775808"])
    header.replaceSubrange(start..<end, with: Array(edge.utf8))
    let newLength = UInt64(header.count)
    return (0..<8).map { UInt8((newLength >> (8 * UInt64($0))) & 0xFF) } + header + body
  }
}

/// The valid files mutations start from, and the small data they are used with.
struct Seeds {
  let idx: [[UInt8]]
  let safetensors: [[UInt8]]
  let checkpoints: [[UInt8]]
  /// A UMAP of pixels (through PCA), a cosine UMAP in 3-D of 10 PCA dimensions (no PCA of
  /// its own), a t-SNE of pixels, and a PCA without a map.
  let embeddings: [[UInt8]]
  /// New points for the maps: 8 images' pixels, and the same images in 10 PCA dimensions.
  let queries: [Embedding]
  let labels: String
  let classes = (0..<10).map(String.init)
  let batch: Dataset

  init(fixtures: String, folder: String) throws {
    let test = try FashionMNIST.load(directory: fixtures).test
    batch = try test.subset(Array(0..<8))
    // 24 images and their labels as plain IDX files, and gzipped.
    let images = test.gather(Array(0..<24)).images.toArray().map { UInt8(min(255, max(0, ($0 * 255).rounded()))) }
    let imageFile: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 24, 0, 0, 0, 28, 0, 0, 0, 28] + images
    labels = folder + "/labels"
    try Data([0, 0, 8, 1, 0, 0, 0, 24] + test.labels.prefix(24).map { UInt8($0) })
      .write(to: URL(fileURLWithPath: labels))
    let gzipped = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixtures + "/t10k-images-idx3-ubyte.gz")))
    idx = [imageFile, Array(imageFile.prefix(16 + 784 * 24)), gzipped]
    // Weights of LeNet-5 as safetensors, and a checkpoint with Adam's state and a history.
    let net = try FileFuzzer.lenet5()
    let weights = folder + "/seed.safetensors", checkpoint = folder + "/seed.atlm"
    let options = FitOptions(epochs: 1, batchSize: 4, seed: 1, validation: nil)
    var withCheckpoint = options
    withCheckpoint.checkpoint = CheckpointPolicy(path: checkpoint, every: 1)
    _ = try fit(net, on: batch, optimizer: Adam(), options: withCheckpoint, initRNG: RandomSource(seed: 1))
    try WeightExchange.export(net, to: weights)
    safetensors = [try [UInt8](Data(contentsOf: URL(fileURLWithPath: weights)))]
    checkpoints = [try [UInt8](Data(contentsOf: URL(fileURLWithPath: checkpoint)))]
    let pixels = try test.subset(Array(0..<60))
    let points = try Embedding(
      points: try pixels.images.reshaped([60, -1]), labels: pixels.labels, classes: pixels.classes, source: "pixels")
    var umapOptions = UMAPOptions()
    (umapOptions.k, umapOptions.epochs) = (5, 20)
    let reduced = try pca(points, components: 10)
    var cosine = umapOptions
    (cosine.metric, cosine.dims) = (.cosine, 3)
    var tsneOptions = TSNEOptions()
    (tsneOptions.perplexity, tsneOptions.iterations) = (5, 60)
    embeddings = try [
      umap(points, options: umapOptions), umap(reduced, options: cosine), tsne(points, options: tsneOptions), reduced,
    ].map { [UInt8](try EmbeddingFile.data(of: $0, naming: "a seed embedding")) }
    let queryPixels = try Embedding(
      points: try batch.images.reshaped([8, -1]), labels: batch.labels, classes: batch.classes, source: "new pixels")
    let queryReduced = try Embedding(
      points: try reduced.points.rows(0, 8), labels: Array(reduced.labels.prefix(8)), classes: reduced.classes,
      source: "new points")
    queries = [queryPixels, queryReduced]
  }

  func files(of kind: FileFuzzer.Kind) -> [[UInt8]] {
    switch kind {
    case .idx: return idx
    case .safetensors: return safetensors
    case .checkpoint: return checkpoints
    case .embedding: return embeddings
    }
  }
}
