/// An error in an Atelier program, shown with its place in the source.
public struct AtelierError: Error, CustomStringConvertible {
  public let message: String
  public let location: SourceLocation?
  public let hint: String?

  public init(_ message: String, at location: SourceLocation? = nil, hint: String? = nil) {
    self.message = message
    self.location = location
    self.hint = hint
  }

  /// `file:line:col: error: message`, the source line, a caret under the column, and the hint.
  public var description: String {
    var text = ""
    if let at = location {
      text += "\(at.file.name):\(at.line):\(at.column): error: \(message)"
      if let source = at.file.line(at.line) {
        let shown = String(source)
        text += "\n    \(shown)\n    "
        let caretPad = shown.prefix(max(at.column - 1, 0)).map { $0 == "\t" ? "\t" : " " }.joined()
        text += caretPad + "^"
      }
    } else {
      text += "error: \(message)"
    }
    if let hint { text += "\nhint: \(hint)" }
    return text
  }
}

/// The closest candidate by edit distance, when it is close enough to be a likely typo.
func suggestion(for word: String, among candidates: [String]) -> String? {
  let limit = max(1, word.count / 3)
  let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
  guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit else { return nil }
  return best.0
}

func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a), b = Array(b)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  for i in 1...a.count {
    var current = [i] + Array(repeating: 0, count: b.count)
    for j in 1...b.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.count]
}
