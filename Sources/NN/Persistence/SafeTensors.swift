import Data
import Foundation
import Tensor

/// The safetensors format (as written by PyTorch's `safetensors.torch.save_file`):
/// an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
/// shape and byte range, then the raw data. Only float32 tensors are read and written.
public enum SafeTensors {
  public static func write(
    _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String
  ) throws {
    try AtomicFile.write(try encode(tensors, metadata: metadata), to: path)
  }

  /// The bytes of a safetensors file holding `tensors`, in order, and `metadata`.
  public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) throws
    -> Data
  {
    var header: [String: Any] = [:]
    var offset = 0
    for (name, tensor) in tensors {
      let bytes = tensor.count * 4
      header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + bytes]]
      offset += bytes
    }
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while json.count % 8 != 0 { json.append(0x20) }
    var data = Data(capacity: 8 + json.count + offset)
    var length = UInt64(json.count).littleEndian
    withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
    data.append(json)
    for (_, tensor) in tensors {
      data.append(UnsafeBufferPointer(start: tensor.data, count: tensor.count))
    }
    return data
  }

  public struct File {
    public let tensors: [String: Tensor]
    public let order: [String]
    public let metadata: [String: String]
  }

  public static func read(_ path: String) throws -> File {
    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int {
      try MemoryBudget.check(bytes: size, for: "reading \(path)")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DataError(
        path: path, problem: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
    }
    return try decode(data, path: path)
  }

  /// The tensors and metadata of safetensors bytes; `path` names them in errors.
  public static func decode(_ bytes: Data, path: String) throws -> File {
    try MemoryBudget.check(bytes: bytes.count, for: "reading \(path)")
    // Offsets below count from the first byte: a slice of larger data is copied to start at 0.
    let data = bytes.startIndex == 0 ? bytes : Data(bytes)
    guard data.count >= 8 else { throw DataError(path: path, problem: "is too short to be a safetensors file") }
    let length = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
    guard length <= UInt64(data.count - 8), length < 100_000_000 else {
      throw DataError(
        path: path,
        problem:
          "has a header length (\(length)) past the end of the file; it is not a safetensors file or it is truncated")
    }
    let headerData = data.subdata(in: 8..<(8 + Int(length)))
    guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
      throw DataError(path: path, problem: "has a header that is not valid JSON")
    }
    let body = 8 + Int(length)
    var tensors: [String: Tensor] = [:]
    var entries: [(String, Int)] = []
    for (name, value) in header where name != "__metadata__" {
      guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
        let shape = info["shape"] as? [Int],
        let offsets = info["data_offsets"] as? [Int], offsets.count == 2
      else {
        throw DataError(path: path, problem: "describes tensor '\(name)' without dtype, shape and data_offsets")
      }
      guard let width = elementWidth[dtype] else {
        throw DataError(
          path: path, problem: "holds '\(name)' as \(dtype), which Atelier cannot read",
          hint: "save F32, F16, BF16, F64, I64 or I32 tensors")
      }
      // Every number here comes from the file: no product or sum may overflow before it is checked.
      guard shape.count <= 8, let count = MemoryBudget.elementCount(shape),
        case (let bytes, false) = count.multipliedReportingOverflow(by: width),
        offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= data.count - body, offsets[1] - offsets[0] == bytes
      else {
        throw DataError(
          path: path, problem: "has tensor '\(name)' whose byte range does not fit its shape or the file (truncated?)")
      }
      let tensor = Tensor(uninitialized: shape)
      data.withUnsafeBytes { raw in
        if let base = raw.baseAddress { widen(base + body + offsets[0], dtype: dtype, count: count, into: tensor.data) }
      }
      tensors[name] = tensor
      entries.append((name, offsets[0]))
    }
    let metadata = (header["__metadata__"] as? [String: String]) ?? [:]
    return File(tensors: tensors, order: entries.sorted { $0.1 < $1.1 }.map(\.0), metadata: metadata)
  }

  /// Bytes per element of the dtypes that read as float32 (PyTorch saves counters as I64).
  static let elementWidth = ["F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4]

  /// Converts `count` little-endian elements of `dtype` at an unaligned address to float32.
  static func widen(_ source: UnsafeRawPointer, dtype: String, count: Int, into target: UnsafeMutablePointer<Float>) {
    func convert<T>(_: T.Type, _ make: (T) -> Float) {
      let width = MemoryLayout<T>.size
      for i in 0..<count { target[i] = make(source.loadUnaligned(fromByteOffset: i * width, as: T.self)) }
    }
    switch dtype {
    case "F32": memcpy(target, source, count * 4)
    case "F16": convert(UInt16.self) { Float(Float16(bitPattern: $0)) }
    case "BF16": convert(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
    case "F64": convert(Double.self) { Float($0) }
    case "I64": convert(Int64.self) { Float($0) }
    default: convert(Int32.self) { Float($0) }
    }
  }
}
