import CKernel
import Foundation
import Tensor

/// Labelled images: images (N, C, H, W) in [0, 1], one class index per image.
public final class Dataset {
  public let images: Tensor
  public let labels: [Int32]
  public let classes: [String]
  public let name: String

  public init(images: Tensor, labels: [Int32], classes: [String], name: String) throws {
    guard images.rank == 4, images.shape[0] == labels.count else {
      throw TensorError(
        "a dataset needs images (N, C, H, W) and N labels; got \(describe(shape: images.shape)) and \(labels.count) labels"
      )
    }
    self.images = images
    self.labels = labels
    self.classes = classes
    self.name = name
  }

  public var count: Int { labels.count }
  /// The shape of one image, (C, H, W).
  public var sampleShape: [Int] { Array(images.shape.dropFirst()) }

  /// The images and labels at `indices`, in that order.
  public func gather(_ indices: [Int]) -> (images: Tensor, labels: [Int32]) {
    let rowLength = sampleShape.reduce(1, *)
    let out = Tensor(uninitialized: [indices.count] + sampleShape)
    let picks = indices.map(Int64.init)
    picks.withUnsafeBufferPointer {
      atl_gather_rows(images.data, Int64(rowLength), $0.baseAddress, Int64(indices.count), out.data)
    }
    return (out, indices.map { labels[$0] })
  }

  public func subset(_ indices: [Int], name: String? = nil) throws -> Dataset {
    let picked = gather(indices)
    return try Dataset(
      images: picked.images, labels: picked.labels, classes: classes, name: name ?? self.name)
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
    let shape = dims.count == 3 ? [dims[0], 1, dims[1], dims[2]] : [dims[0], dims[3], dims[1], dims[2]]
    let tensor = Tensor(zeros: shape)
    images.bytes.withUnsafeBufferPointer {
      atl_u8_to_f32($0.baseAddress, tensor.data, Int64(tensor.count), 1.0 / 255.0)
    }
    let labelValues = labels.bytes.map { Int32($0) }
    if let bad = labelValues.first(where: { Int($0) >= classes.count }), !classes.isEmpty {
      throw DataError(path: labelPath, problem: "holds label \(bad) but only \(classes.count) classes are named")
    }
    return try Dataset(images: tensor, labels: labelValues, classes: classes, name: name)
  }
}
