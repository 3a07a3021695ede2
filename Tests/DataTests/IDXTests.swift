import Foundation
import Tensor
import Testing

@testable import Data

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Fixtures").path

/// Writes bytes to a fresh temporary file and returns its path.
func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> String {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atelier-tests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  let path = dir.appendingPathComponent(name).path
  try Data(bytes).write(to: URL(fileURLWithPath: path))
  return path
}

func idxHeader(rank: UInt8, type: UInt8 = 0x08, dims: [UInt32]) -> [UInt8] {
  [0, 0, type, rank] + dims.flatMap { d in [24, 16, 8, 0].map { UInt8((d >> $0) & 0xFF) } }
}

@Suite struct IDXReaderTests {
  @Test func readsTheFixtureSliceOfFashionMNIST() throws {
    let data = try FashionMNIST.load(directory: fixtures)
    #expect(data.train.images.shape == [1000, 1, 28, 28])
    #expect(data.test.images.shape == [500, 1, 28, 28])
    #expect(data.train.classes.count == 10 && data.train.classes[9] == "Ankle boot")
    let pixels = data.train.images.toArray()
    #expect(pixels.min()! >= 0 && pixels.max()! <= 1 && pixels.max()! > 0.99)
    // The first training image of Fashion-MNIST is an ankle boot, the first test image too.
    #expect(data.train.labels[0] == 9 && data.test.labels[0] == 9)
    #expect(Set(data.train.labels) == Set(0..<10))
  }

  @Test func readsUncompressedIDX() throws {
    let path = try temporaryFile("plain-idx1", idxHeader(rank: 1, dims: [3]) + [7, 8, 9])
    let array = try IDXReader.read(path: path)
    #expect(array.dimensions == [3] && array.bytes == [7, 8, 9])
  }

  func problem(_ bytes: [UInt8], _ name: String = "broken-idx") throws -> String {
    let path = try temporaryFile(name, bytes)
    do {
      _ = try IDXReader.read(path: path)
    } catch let error as DataError {
      #expect(error.path == path)
      return error.problem
    }
    Issue.record("no error for a corrupted file")
    return ""
  }

  @Test func namesEveryKindOfCorruption() throws {
    #expect(try problem([0, 0]).contains("too short"))
    #expect(try problem([1, 2, 8, 1, 0, 0, 0, 1, 5]).contains("bad magic number"))
    #expect(try problem([0, 0, 0x0D, 1, 0, 0, 0, 1, 5]).contains("element type"))
    #expect(try problem([0, 0, 8, 9]).contains("rank 9"))
    #expect(try problem(idxHeader(rank: 3, dims: [2, 2])).contains("header"))
    #expect(try problem(idxHeader(rank: 2, dims: [2, 3]) + [1, 2, 3]).contains("truncated"))
    #expect(try problem(idxHeader(rank: 1, dims: [2]) + [1, 2, 3]).contains("bytes past"))
  }

  @Test func truncatedAndCorruptedGzipAreReported() throws {
    let whole = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/t10k-labels-idx1-ubyte.gz")))
    let cut = try problem(Array(whole.prefix(whole.count / 2)), "cut.gz")
    #expect(cut.contains("truncated") || cut.contains("corrupted"))
    var flipped = whole
    for i in 20..<60 { flipped[i] ^= 0x5A }
    let garbled = try problem(flipped, "garbled.gz")
    #expect(!garbled.isEmpty)
  }

  @Test func missingFilesSayHowToGetThem() throws {
    #expect(throws: DataError.self) { try IDXReader.read(path: "/nonexistent/file.gz") }
    let error = #expect(throws: DataError.self) { try FashionMNIST.load(directory: "/nonexistent") }
    #expect(error?.hint?.contains("apt-get install dataset-fashion-mnist") == true)
  }

  @Test func mismatchedLabelCountIsReported() throws {
    let images = try temporaryFile("images", idxHeader(rank: 3, dims: [2, 2, 2]) + [UInt8](repeating: 1, count: 8))
    let labels = try temporaryFile("labels", idxHeader(rank: 1, dims: [3]) + [0, 1, 2])
    #expect(throws: DataError.self) {
      try Dataset.fromIDX(images: images, labels: labels, classes: FashionMNIST.classes, name: "x")
    }
  }
}

@Suite struct BatchTests {
  @Test func seededShuffledBatchesCoverTheDatasetOnce() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    let batches = Batches(data, size: 128, shuffle: true, rng: .init(seed: 3))
    #expect(batches.count == 4)
    var sizes: [Int] = [], labels: [Int32] = []
    for (images, batchLabels) in batches {
      sizes.append(images.shape[0])
      labels += batchLabels
    }
    #expect(sizes == [128, 128, 128, 116])
    #expect(labels.sorted() == data.labels.sorted())
    #expect(labels != data.labels)
    let again = Batches(data, size: 128, shuffle: true, rng: .init(seed: 3))
    #expect(again.order == batches.order)
    let first = data.gather([5]).images.toArray()
    let direct = Array(data.images.toArray()[(5 * 784)..<(6 * 784)])
    #expect(first == direct)
  }
}

/// Images read from files stay bytes; every way of reading them gives the floats
/// a float-backed copy of the same set gives.
@Suite struct BytePixelTests {
  @Test func byteBackedDatasetReadsAsItsFloatCopy() throws {
    let data = try FashionMNIST.load(directory: fixtures).test
    let floats = try Dataset(images: data.images, labels: data.labels, classes: data.classes, name: "floats")
    let picks = [7, 0, 399, 7, 123]
    #expect(data.gather(picks).images.toArray() == floats.gather(picks).images.toArray())
    #expect(data.gather(picks).images.toArray().allSatisfy { $0 >= 0 && $0 <= 1 })
    #expect(data.rows(10, 20).toArray() == floats.rows(10, 20).toArray())
    let part = try data.subset(picks)
    #expect(part.images.toArray() == floats.gather(picks).images.toArray())
    #expect(part.labels == picks.map { data.labels[$0] })
    let joined = try Dataset.concatenate([part, try data.subset([1, 2])])
    #expect(joined.images.toArray() == floats.gather(picks + [1, 2]).images.toArray())
    let flattened = try data.mapBatches(size: 7) { try $0.reshaped([$0.shape[0], -1]) }
    #expect(flattened.toArray() == floats.images.toArray())
  }
}
