/// Whether an entry typed at a prompt or in a notebook cell is whole: the prompt keeps
/// reading lines, and a notebook front end keeps the cell open, while brackets are open.
public enum EntryCompleteness: String {
  case complete, incomplete, invalid

  public static func of(_ text: String) -> EntryCompleteness {
    let depth = openBrackets(text)
    return depth > 0 ? .incomplete : depth < 0 ? .invalid : .complete
  }
}

/// Net count of open ( [ { outside strings and comments.
public func openBrackets(_ text: String) -> Int {
  var depth = 0
  var inString = false, inComment = false, escaped = false
  for c in text {
    if inComment {
      if c == "\n" { inComment = false }
      continue
    }
    if inString {
      if escaped {
        escaped = false
      } else if c == "\\" {
        escaped = true
      } else if c == "\"" || c == "\n" {
        inString = false
      }
      continue
    }
    switch c {
    case "\"": inString = true
    case "#": inComment = true
    case "(", "[", "{": depth += 1
    case ")", "]", "}": depth -= 1
    default: break
    }
  }
  return depth
}
