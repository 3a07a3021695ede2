import Foundation

/// The prompt's history on disk: one entry per line, a multi-line entry with its line
/// breaks written `\n` (and backslashes `\\`), so that it comes back as one item.
public enum HistoryFile {
  /// Entries kept when the file is read; older ones are dropped from it.
  public static let limit = 2000

  public static func escape(_ entry: String) -> String {
    entry.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
  }

  /// The entry a line holds. A backslash before anything but `n` or `\` stays as written,
  /// so lines of files from before the escaping read as they were.
  public static func unescape(_ line: Substring) -> String {
    var out = ""
    var pending = false
    for c in line {
      if pending {
        switch c {
        case "n": out.append("\n")
        case "\\": out.append("\\")
        default: out += "\\" + String(c)
        }
        pending = false
      } else if c == "\\" {
        pending = true
      } else {
        out.append(c)
      }
    }
    return pending ? out + "\\" : out
  }

  /// The entries of the file at `path`, oldest first (the last `limit` of them); the
  /// file is rewritten when it held more.
  public static func load(_ path: String) -> [String] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    let lines = text.split(separator: "\n")
    let entries = lines.suffix(limit).map(unescape)
    if lines.count > limit {
      try? (entries.map(escape).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
    return entries
  }

  public static func append(_ entry: String, to path: String) {
    guard let handle = FileHandle(forWritingAtPath: path) ?? create(path) else { return }
    defer { try? handle.close() }
    _ = try? handle.seekToEnd()
    try? handle.write(contentsOf: Data((escape(entry) + "\n").utf8))
  }

  private static func create(_ path: String) -> FileHandle? {
    guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
      return nil
    }
    return FileHandle(forWritingAtPath: path)
  }
}
