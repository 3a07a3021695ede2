import Foundation

/// The connection file a Jupyter front end writes before starting a kernel: where
/// each channel listens and the key that signs every message.
public struct ConnectionInfo: Codable, Sendable {
  public var transport: String
  public var ip: String
  public var shell_port: Int
  public var control_port: Int
  public var iopub_port: Int
  public var stdin_port: Int
  public var hb_port: Int
  public var key: String
  public var signature_scheme: String

  /// Reads the file; a file that is not a connection file is an error saying what is missing.
  public static func read(_ path: String) throws -> ConnectionInfo {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    guard let size = attributes?[.size] as? Int else { throw KernelError("\(path): no such connection file") }
    guard size <= 1 << 20 else { throw KernelError("\(path) is \(size) bytes; a connection file is a few hundred") }
    guard let data = FileManager.default.contents(atPath: path) else { throw KernelError("\(path) is not readable") }
    do {
      return try JSONDecoder().decode(ConnectionInfo.self, from: data)
    } catch DecodingError.keyNotFound(let key, _) {
      throw KernelError("\(path) has no \"\(key.stringValue)\"; is it a Jupyter connection file?")
    } catch {
      throw KernelError("\(path) is not a Jupyter connection file (JSON with ports, ip and key)")
    }
  }

  public func endpoint(_ port: Int) -> String {
    transport == "ipc" ? "ipc://\(ip)-\(port)" : "\(transport)://\(ip):\(port)"
  }
}
