import Crypto
import Foundation
import Lang

/// One Jupyter message as it travels over ZeroMQ: the routing identities, the
/// `<IDS|MSG>` delimiter, an HMAC signature, four JSON frames and any binary buffers.
public struct WireMessage: Sendable {
  public var identities: [Data] = []
  public var header: JSONValue
  public var parentHeader: JSONValue = [:]
  public var metadata: JSONValue = [:]
  public var content: JSONValue = [:]
  public var buffers: [Data] = []

  public init(
    identities: [Data] = [], header: JSONValue, parentHeader: JSONValue = [:], metadata: JSONValue = [:],
    content: JSONValue = [:]
  ) {
    self.identities = identities
    self.header = header
    self.parentHeader = parentHeader
    self.metadata = metadata
    self.content = content
  }

  public var type: String { header["msg_type"]?.string ?? "" }

  static let delimiter = Data("<IDS|MSG>".utf8)
}

/// Why an incoming message was not accepted.
public enum WireError: Error, CustomStringConvertible, Equatable {
  case noDelimiter
  case missingFrames
  case badSignature
  case replayedSignature
  case badJSON(String)

  public var description: String {
    switch self {
    case .noDelimiter: return "no <IDS|MSG> delimiter"
    case .missingFrames: return "fewer than the five frames after the delimiter"
    case .badSignature: return "bad signature"
    case .replayedSignature: return "a signature seen before (replayed message)"
    case .badJSON(let frame): return "the \(frame) frame is not a JSON object"
    }
  }
}

/// Signs and checks messages with the connection file's key (HMAC-SHA256), as the
/// protocol asks; an empty key turns signing off.
public final class MessageSigner {
  private let key: SymmetricKey?
  /// Signatures already accepted: the protocol asks kernels to refuse a replayed message.
  private var seen: Set<String> = []
  /// The remembered signatures in arrival order, a ring: the oldest is forgotten first.
  private var seenOrder: [String] = []
  private var oldest = 0
  private static let remembered = 10_000

  public init(key: String, scheme: String = "hmac-sha256") throws {
    guard key.isEmpty || scheme == "hmac-sha256" else {
      throw KernelError("signature scheme \(scheme) is not supported; use hmac-sha256")
    }
    self.key = key.isEmpty ? nil : SymmetricKey(data: Data(key.utf8))
  }

  /// Lowercase hex HMAC over header, parent header, metadata and content.
  public func signature(_ frames: [Data]) -> String {
    guard let key else { return "" }
    var hmac = HMAC<SHA256>(key: key)
    for frame in frames { hmac.update(data: frame) }
    return Data(hmac.finalize()).hex
  }

  /// The frames to send, the signature computed over the exact bytes that go out.
  public func frames(for message: WireMessage) -> [Data] {
    let body = [message.header, message.parentHeader, message.metadata, message.content].map { $0.encoded() }
    return message.identities + [WireMessage.delimiter, Data(signature(body).utf8)] + body + message.buffers
  }

  /// Parses received frames, checking the signature over the bytes as they arrived.
  public func message(from frames: [Data]) throws -> WireMessage {
    guard let split = frames.firstIndex(of: WireMessage.delimiter) else { throw WireError.noDelimiter }
    guard frames.count >= split + 6 else { throw WireError.missingFrames }
    let body = Array(frames[(split + 2)..<(split + 6)])
    if key != nil {
      let given = String(decoding: frames[split + 1], as: UTF8.self)
      guard constantTimeEqual(given, signature(body)) else { throw WireError.badSignature }
      guard !seen.contains(given) else { throw WireError.replayedSignature }
      remember(given)
    }
    var parts: [JSONValue] = []
    for (frame, name) in zip(body, ["header", "parent_header", "metadata", "content"]) {
      guard let value = JSONValue.decoded(frame), case .object = value else { throw WireError.badJSON(name) }
      parts.append(value)
    }
    var message = WireMessage(
      identities: Array(frames[..<split]), header: parts[0], parentHeader: parts[1], metadata: parts[2],
      content: parts[3])
    message.buffers = Array(frames[(split + 6)...])
    return message
  }

  private func remember(_ signature: String) {
    seen.insert(signature)
    if seenOrder.count < MessageSigner.remembered {
      seenOrder.append(signature)
    } else {
      seen.remove(seenOrder[oldest])
      seenOrder[oldest] = signature
      oldest = (oldest + 1) % MessageSigner.remembered
    }
  }

  private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
  }
}

public struct KernelError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
