import CZlib
import Foundation

/// A problem reading a data file, always naming the file.
public struct DataError: Error, CustomStringConvertible {
  public let path: String
  public let problem: String
  public let hint: String?

  public init(path: String, problem: String, hint: String? = nil) {
    self.path = path
    self.problem = problem
    self.hint = hint
  }

  public var description: String { "\(path): \(problem)" }
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
    let raw = try inflate(path: path)
    return try parse(raw, path: path)
  }

  static func inflate(path: String) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: path) else {
      throw DataError(path: path, problem: "no such file")
    }
    guard let file = gzopen(path, "rb") else {
      throw DataError(path: path, problem: "cannot be opened (\(String(cString: strerror(errno))))")
    }
    defer { gzclose(file) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let got = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
      if got < 0 {
        var code: Int32 = 0
        let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown zlib error"
        throw DataError(path: path, problem: "is not a valid gzip stream (\(message))")
      }
      if got == 0 { break }
      out.append(contentsOf: chunk[0..<Int(got)])
    }
    // zlib reports a stream cut short only through gzerror once reading stops.
    var code: Int32 = 0
    if let message = gzerror(file, &code), code != Z_OK {
      throw DataError(
        path: path, problem: "is truncated or corrupted (\(String(cString: message)))")
    }
    return out
  }

  static func parse(_ raw: [UInt8], path: String) throws -> IDXArray {
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
    let headerLength = 4 + 4 * rank
    guard raw.count >= headerLength else {
      throw DataError(path: path, problem: "is truncated inside its header")
    }
    var dimensions: [Int] = []
    for d in 0..<rank {
      let o = 4 + 4 * d
      let size = Int(raw[o]) << 24 | Int(raw[o + 1]) << 16 | Int(raw[o + 2]) << 8 | Int(raw[o + 3])
      dimensions.append(size)
    }
    let expected = dimensions.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
    let actual = raw.count - headerLength
    guard expected == actual else {
      let shape = dimensions.map(String.init).joined(separator: "x")
      throw DataError(
        path: path,
        problem: actual < expected
          ? "is truncated: header says \(shape) (\(expected) bytes) but only \(actual) follow"
          : "has \(actual - expected) bytes past the \(shape) array its header declares")
    }
    return IDXArray(dimensions: dimensions, bytes: Array(raw[headerLength...]))
  }
}
