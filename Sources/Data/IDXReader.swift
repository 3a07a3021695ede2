import CZlib
import Foundation
import Tensor

/// A problem reading a data file, always naming the file.
public struct DataError: UserError {
  public let path: String
  public let problem: String
  public let hint: String?

  public init(path: String, problem: String, hint: String? = nil) {
    self.path = path
    self.problem = problem
    self.hint = hint
  }

  public var description: String { "\(path): \(problem)" }
  public var userMessage: String { description }
}

/// An IDX array (the MNIST file format) of unsigned bytes.
public struct IDXArray {
  public let dimensions: [Int]
  public let bytes: [UInt8]
}

/// Reads IDX files, gzipped or plain (zlib reads both), validating the header
/// against the payload so that a truncated or corrupted file is reported, not trusted.
public enum IDXReader {
  static let unsignedByteType: UInt8 = 0x08

  public static func read(path: String) throws -> IDXArray {
    let stream = try GzipReader(path: path)
    let prefix = try stream.read(4)
    try checkPrefix(prefix, path: path)
    let rank = Int(prefix[3])
    let sizes = try stream.read(4 * rank)
    guard sizes.count == 4 * rank else { throw DataError(path: path, problem: "is truncated inside its header") }
    let dimensions = (0..<rank).map { d in
      sizes[4 * d..<4 * d + 4].reduce(0) { $0 << 8 | Int($1) }
    }
    let shape = dimensions.map(String.init).joined(separator: "x")
    // The header decides how much is read: a few bytes must not make us inflate gigabytes.
    let expected: Int
    do {
      expected = try MemoryBudget.check(shape: dimensions, bytesPerElement: 1, for: "the \(shape) array in \(path)")
    } catch let error as MemoryLimitError {
      throw DataError(path: path, problem: "declares a \(shape) array: \(error.userMessage)", hint: error.hint)
    }
    let payload = try stream.read(expected)
    guard payload.count == expected else {
      throw DataError(
        path: path,
        problem: "is truncated: header says \(shape) (\(expected) bytes) but only \(payload.count) follow")
    }
    let extra = try stream.countRemaining(upTo: 1 << 20)
    guard extra == 0 else {
      let count = extra >= 1 << 20 ? "more than \(1 << 20)" : String(extra)
      throw DataError(path: path, problem: "has \(count) bytes past the \(shape) array its header declares")
    }
    try stream.checkIntact()
    return IDXArray(dimensions: dimensions, bytes: payload)
  }

  static func checkPrefix(_ raw: [UInt8], path: String) throws {
    guard raw.count >= 4 else {
      throw DataError(path: path, problem: "is too short to be an IDX file (\(raw.count) bytes)")
    }
    guard raw[0] == 0, raw[1] == 0 else {
      throw DataError(
        path: path,
        problem: String(
          format: "has a bad magic number 0x%02x%02x%02x%02x (an IDX file starts with 00 00)",
          raw[0], raw[1], raw[2], raw[3]))
    }
    guard raw[2] == unsignedByteType else {
      throw DataError(
        path: path,
        problem: String(format: "holds element type 0x%02x; only unsigned bytes (0x08) are supported", raw[2]))
    }
    let rank = Int(raw[3])
    guard rank >= 1, rank <= 4 else {
      throw DataError(path: path, problem: "declares rank \(rank); expected 1 to 4 dimensions")
    }
  }
}

/// A gzipped or plain file read in pieces of a known size, reporting zlib's errors
/// against the file's name.
final class GzipReader {
  let path: String
  private let file: gzFile

  init(path: String) throws {
    guard FileManager.default.fileExists(atPath: path) else {
      throw DataError(path: path, problem: "no such file")
    }
    guard let file = gzopen(path, "rb") else {
      throw DataError(path: path, problem: "cannot be opened (\(String(cString: strerror(errno))))")
    }
    self.path = path
    self.file = file
  }

  deinit { gzclose(file) }

  /// Up to `count` bytes; fewer only at the end of the stream.
  func read(_ count: Int) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
      let want = UInt32(min(count - filled, 1 << 30))
      let got = out.withUnsafeMutableBytes { gzread(file, $0.baseAddress! + filled, want) }
      if got < 0 { throw corrupted("is not a valid gzip stream") }
      if got == 0 { break }
      filled += Int(got)
    }
    out.removeLast(count - filled)
    return out
  }

  /// How many bytes are left, counting no further than `limit`.
  func countRemaining(upTo limit: Int) throws -> Int {
    var total = 0
    while total < limit {
      let piece = try read(min(64 << 10, limit - total))
      if piece.isEmpty { break }
      total += piece.count
    }
    return total
  }

  /// zlib reports a stream cut short only through gzerror once reading stops.
  func checkIntact() throws {
    var code: Int32 = 0
    if let message = gzerror(file, &code), code != Z_OK {
      throw DataError(path: path, problem: "is truncated or corrupted (\(String(cString: message)))")
    }
  }

  private func corrupted(_ what: String) -> DataError {
    var code: Int32 = 0
    let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown zlib error"
    return DataError(path: path, problem: "\(what) (\(message))")
  }
}
