import CKernel
import Foundation
import Tensor

/// Labelled images (N, C, H, W) in [0, 1], one class index per image.
///
/// Images read from files keep their pixels as bytes, a quarter of the memory of
/// float32; batches are converted as they are drawn, so training and evaluation
/// never hold the whole set as floats. Datasets computed from others (normalised,
/// augmented) hold floats.
public final class Dataset {
  private enum Pixels {
    case floats(Tensor)
    /// Bytes scaled by `scale` when read.
    case bytes([UInt8], scale: Float)
  }

  private let pixels: Pixels
  public let labels: [Int32]
  public let classes: [String]
  public let name: String
  /// The shape of one image, (C, H, W).
  public let sampleShape: [Int]
  /// A caption per image that plots show instead of the class name
  /// (`misclassified` gives "Shirt → T-shirt/top 0.83").
  public var captions: [String]?

  public init(images: Tensor, labels: [Int32], classes: [String], name: String) throws {
    guard images.rank == 4, images.shape[0] == labels.count else {
      throw TensorError(
        "a dataset needs images (N, C, H, W) and N labels; got \(describe(shape: images.shape)) and \(labels.count) labels"
      )
    }
    try Dataset.checkLabels(labels, classes)
    self.pixels = .floats(images)
    self.sampleShape = Array(images.shape.dropFirst())
    self.labels = labels
    self.classes = classes
    self.name = name
  }

  /// Images of `sampleShape` stored as bytes, read as byte × scale.
  public init(bytes: [UInt8], sampleShape: [Int], scale: Float, labels: [Int32], classes: [String], name: String)
    throws
  {
    guard sampleShape.count == 3, bytes.count == labels.count * sampleShape.reduce(1, *) else {
      throw TensorError(
        "a dataset needs \(labels.count) images of \(describe(shape: sampleShape)) but got \(bytes.count) bytes")
    }
    try Dataset.checkLabels(labels, classes)
    self.pixels = .bytes(bytes, scale: scale)
    self.sampleShape = sampleShape
    self.labels = labels
    self.classes = classes
    self.name = name
  }

  /// Every label names one of the classes: plots, reports and confusion matrices index by it.
  static func checkLabels(_ labels: [Int32], _ classes: [String]) throws {
    guard !classes.isEmpty else { throw TensorError("a dataset needs at least one class name") }
    if let bad = labels.first(where: { $0 < 0 || Int($0) >= classes.count }) {
      throw TensorError("label \(bad) is not one of the \(classes.count) classes \(classes.prefix(10))")
    }
  }

  public var count: Int { labels.count }

  /// The stored pixels as raw bytes (floats or bytes, as held), for content digests.
  public func withStoredPixels<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    switch pixels {
    case .floats(let t): return try t.toArray().withUnsafeBytes(body)
    case .bytes(let b, _): return try b.withUnsafeBytes(body)
    }
  }
  private var rowLength: Int { sampleShape.reduce(1, *) }

  /// Every image as one float tensor (N, C, H, W). For a dataset held as bytes this
  /// converts the whole set each time it is asked for: batch-wise work should use
  /// `gather`, `rows` or `mapBatches`.
  public var images: Tensor {
    switch pixels {
    case .floats(let tensor): return tensor
    case .bytes: return rows(0, count)
    }
  }

  /// The images and labels at `indices`, in that order.
  public func gather(_ indices: [Int]) -> (images: Tensor, labels: [Int32]) {
    let out = Tensor(uninitialized: [indices.count] + sampleShape)
    let picks = indices.map(Int64.init)
    picks.withUnsafeBufferPointer { picked in
      switch pixels {
      case .floats(let images):
        atl_gather_rows(images.data, Int64(rowLength), picked.baseAddress, Int64(indices.count), out.data)
      case .bytes(let bytes, let scale):
        bytes.withUnsafeBufferPointer {
          atl_gather_u8_rows(
            $0.baseAddress, Int64(rowLength), picked.baseAddress, Int64(indices.count), scale, out.data)
        }
      }
    }
    return (out, indices.map { labels[$0] })
  }

  /// Images start..<end as floats.
  public func rows(_ start: Int, _ end: Int) -> Tensor { gather(Array(start..<end)).images }

  /// `body` applied to consecutive batches of the first `count` images (all by
  /// default), no tape, its results stacked along the first dimension: memory for one
  /// batch of work, not for the whole set.
  public func mapBatches(size: Int, count: Int? = nil, _ body: (Tensor) throws -> Tensor) throws -> Tensor {
    try mapInBatches(count: Swift.min(count ?? self.count, self.count), batchSize: size, rows: rows, body)
  }

  public func subset(_ indices: [Int], name: String? = nil) throws -> Dataset {
    let picked = try subsetWithoutCaptions(indices, name: name)
    picked.captions = captions.map { captions in indices.map { captions[$0] } }
    return picked
  }

  private func subsetWithoutCaptions(_ indices: [Int], name: String?) throws -> Dataset {
    let picked = indices.map { labels[$0] }
    switch pixels {
    case .floats:
      return try Dataset(images: gather(indices).images, labels: picked, classes: classes, name: name ?? self.name)
    case .bytes(let bytes, let scale):
      let length = rowLength
      var kept = [UInt8](repeating: 0, count: indices.count * length)
      kept.withUnsafeMutableBufferPointer { to in
        bytes.withUnsafeBufferPointer { from in
          // Empty images (a file may declare 0 rows) leave both buffers without an address.
          guard let to = to.baseAddress, let from = from.baseAddress else { return }
          for (i, index) in indices.enumerated() {
            UnsafeMutableRawPointer(to + i * length).copyMemory(from: from + index * length, byteCount: length)
          }
        }
      }
      return try Dataset(
        bytes: kept, sampleShape: sampleShape, scale: scale, labels: picked, classes: classes, name: name ?? self.name)
    }
  }

  /// The bytes of every image when all `parts` hold bytes at one scale.
  static func concatenatedBytes(_ parts: [Dataset]) -> (bytes: [UInt8], scale: Float)? {
    var all: [UInt8] = []
    var common: Float?
    for part in parts {
      guard case .bytes(let bytes, let scale) = part.pixels, common == nil || common == scale else { return nil }
      common = scale
      all += bytes
    }
    return common.map { (all, $0) }
  }

  /// Builds a dataset from IDX image and label files, scaling pixels to [0, 1].
  public static func fromIDX(images imagePath: String, labels labelPath: String, classes: [String], name: String)
    throws -> Dataset
  {
    let images = try IDXReader.read(path: imagePath)
    let labels = try IDXReader.read(path: labelPath)
    guard images.dimensions.count == 3 || images.dimensions.count == 4 else {
      throw DataError(path: imagePath, problem: "holds a rank-\(images.dimensions.count) array, not images")
    }
    guard labels.dimensions.count == 1 else {
      throw DataError(path: labelPath, problem: "holds a rank-\(labels.dimensions.count) array, not labels")
    }
    guard labels.dimensions[0] == images.dimensions[0] else {
      throw DataError(
        path: labelPath,
        problem: "has \(labels.dimensions[0]) labels for the \(images.dimensions[0]) images of \(imagePath)")
    }
    let dims = images.dimensions
    guard dims.count == 3 || dims[3] == 1 else {
      throw DataError(path: imagePath, problem: "holds \(dims[3])-channel images; only grey images are read")
    }
    let labelValues = labels.bytes.map { Int32($0) }
    if let bad = labelValues.first(where: { Int($0) >= classes.count }) {
      throw DataError(path: labelPath, problem: "holds label \(bad) but only \(classes.count) classes are named")
    }
    return try Dataset(
      bytes: images.bytes, sampleShape: [1, dims[1], dims[2]], scale: 1.0 / 255.0, labels: labelValues,
      classes: classes, name: name)
  }
}
