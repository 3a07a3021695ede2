import Foundation
import Lang

/// The contents of the replies that only look at the session (completion, help,
/// whether a cell is whole): what the prompt offers, in the protocol's shape.
public enum KernelReplies {
  public static func kernelInfo(version: String) -> JSONValue {
    [
      "status": "ok",
      "protocol_version": "5.3",
      "implementation": "atelier",
      "implementation_version": .string(version),
      "language_info": [
        "name": "atelier",
        "version": .string(version),
        "mimetype": "text/x-atelier",
        "file_extension": ".atl",
        // Atelier reads like Python with braces: its comments, strings and keywords.
        "pygments_lexer": "python",
        "codemirror_mode": "python",
      ],
      "banner": .string(
        "Atelier \(version): small neural networks on image data. `:help` in the REPL, Shift-Tab here."),
      "help_links": [],
    ]
  }

  /// Completion at `cursor` (a count of Unicode scalars, as the protocol counts):
  /// paths inside a string, else members, named arguments, variables and builtins.
  public static func completion(code: String, cursor: Int, interpreter: Interpreter) -> JSONValue {
    let scalars = Array(code.unicodeScalars)
    let end = min(max(cursor, 0), scalars.count)
    let lineStart = scalars[..<end].lastIndex(of: "\n").map { $0 + 1 } ?? 0
    let quotes = scalars[lineStart..<end].filter { $0 == "\"" }.count
    var start = end
    let matches: [String]
    if quotes % 2 == 1 {
      while start > lineStart, scalars[start - 1] != "\"" { start -= 1 }
      matches = pathCandidates(String(String.UnicodeScalarView(scalars[start..<end])))
    } else {
      let wordScalar = { (s: Unicode.Scalar) in
        s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "_" || s == "."
      }
      while start > 0, wordScalar(scalars[start - 1]) { start -= 1 }
      let word = String(String.UnicodeScalarView(scalars[start..<end]))
      let before = String(String.UnicodeScalarView(scalars[..<start]))
      matches = Completion.candidates(for: word, before: before, interpreter: interpreter)
    }
    return [
      "status": "ok", "matches": .array(matches.map { .string($0) }), "cursor_start": .number(Double(start)),
      "cursor_end": .number(Double(end)), "metadata": [:],
    ]
  }

  /// Files and folders that start with `typed`, folders ending in `/`.
  static func pathCandidates(_ typed: String) -> [String] {
    let slash = typed.lastIndex(of: "/")
    let folder = slash.map { String(typed[...$0]) } ?? ""
    let prefix = slash.map { String(typed[typed.index(after: $0)...]) } ?? typed
    let fm = FileManager.default
    let listed = (try? fm.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
    return listed.filter { $0.hasPrefix(prefix) && (prefix.hasPrefix(".") || !$0.hasPrefix(".")) }.sorted().map {
      var isFolder: ObjCBool = false
      let path = folder + $0
      return fm.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue ? path + "/" : path
    }
  }

  /// The help of the name under or just before the cursor, as `:help name` shows it.
  public static func inspection(code: String, cursor: Int, interpreter: Interpreter) -> JSONValue {
    let help = name(at: cursor, in: code).flatMap { Help.entry(for: $0, interpreter: interpreter) }
    guard let help else { return ["status": "ok", "found": false, "data": [:], "metadata": [:]] }
    return ["status": "ok", "found": true, "data": ["text/plain": .string(help)], "metadata": [:]]
  }

  /// The identifier around `cursor`; inside a call's parentheses, the function called.
  static func name(at cursor: Int, in code: String) -> String? {
    let scalars = Array(code.unicodeScalars)
    let isName = { (s: Unicode.Scalar) in s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "_" }
    var start = min(max(cursor, 0), scalars.count)
    var end = start
    while start > 0, isName(scalars[start - 1]) { start -= 1 }
    while end < scalars.count, isName(scalars[end]) { end += 1 }
    if start < end { return String(String.UnicodeScalarView(scalars[start..<end])) }
    let before = String(String.UnicodeScalarView(scalars[..<min(max(cursor, 0), scalars.count)]))
    return Completion.enclosingCallName(before)
  }

  public static func completeness(code: String) -> JSONValue {
    let state = EntryCompleteness.of(code)
    return state == .incomplete ? ["status": "incomplete", "indent": "  "] : ["status": .string(state.rawValue)]
  }
}
