extension Sequence where Element == UInt8 {
  /// Lowercase hex, two digits a byte: how digests and signatures are written.
  public var hex: String { map { String(format: "%02x", $0) }.joined() }
}
