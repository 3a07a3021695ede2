import CKernel
import CReadline
import Foundation
import Lang

/// GNU readline: editing, persistent history, Ctrl-C and tab completion.
enum LineEditor {
  /// Set when Ctrl-C abandoned the line being typed.
  nonisolated(unsafe) static var cancelled = false

  static func start(historyPath: String) {
    using_history()
    for entry in HistoryFile.load(historyPath) { add_history(entry) }
    // Ctrl-C at the prompt abandons the entry being typed, as in a shell.
    rl_signal_event_hook = {
      if atl_interrupt_pending() != 0 {
        atl_interrupt_clear()
        LineEditor.cancelled = true
        fputs("^C\n", stdout)
        rl_set_prompt("atelier> ")
        rl_on_new_line()
        rl_replace_line("", 0)
        rl_redisplay()
      }
      return 0
    }
    rl_attempted_completion_function = { text, start, _ in
      LineEditor.complete(text.map { String(cString: $0) } ?? "", start: Int(start))
    }
    // Words for completion: '.' stays inside a word (members); inside a string
    // only quotes and spaces end a word, so a whole path completes.
    rl_completion_word_break_hook = {
      LineEditor.insideString() ? LineEditor.pathBreaks : LineEditor.codeBreaks
    }
  }

  nonisolated(unsafe) static let codeBreaks = strdup(" \t\n\"'()[]{},;:|=+-*/%<>")
  nonisolated(unsafe) static let pathBreaks = strdup(" \t\n\"")

  /// Whether the cursor is inside a string literal (an odd number of quotes before it).
  static func insideString() -> Bool {
    guard let buffer = rl_line_buffer else { return false }
    let line = Array(String(cString: buffer).utf8)
    return line.prefix(Int(rl_point)).filter { $0 == UInt8(ascii: "\"") }.count % 2 == 1
  }

  static func read(prompt: String) -> String? {
    guard let raw = readline(prompt) else { return nil }
    defer { free(raw) }
    return String(cString: raw)
  }

  /// A multi-line entry is one history item, also after a restart.
  static func remember(_ entry: String, historyPath: String) {
    add_history(entry)
    HistoryFile.append(entry, to: historyPath)
  }

  fileprivate static func complete(_ word: String, start: Int) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    if insideString() {
      // Inside a string: complete file paths.
      rl_attempted_completion_over = 0
      return rl_completion_matches(word, rl_filename_completion_function)
    }
    rl_attempted_completion_over = 1
    guard let session = REPLSession.current else { return nil }
    let line = rl_line_buffer.map { Array(String(cString: $0).utf8) } ?? []
    let before = String(decoding: line.prefix(start), as: UTF8.self)
    let candidates = Completion.candidates(for: word, before: before, interpreter: session.interpreter)
    guard !candidates.isEmpty else { return nil }
    return makeMatches(word, candidates)
  }

  /// readline's match list: the common prefix first, then every candidate, then NULL.
  private static func makeMatches(_ word: String, _ candidates: [String]) -> UnsafeMutablePointer<
    UnsafeMutablePointer<CChar>?
  > {
    var prefix = candidates[0]
    for candidate in candidates.dropFirst() {
      while !candidate.hasPrefix(prefix) { prefix.removeLast() }
    }
    // readline frees the list and its strings with free().
    let shown = candidates.count == 1 ? [] : candidates
    let list = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: shown.count + 2)
    list[0] = strdup(prefix)
    for (i, candidate) in shown.enumerated() { list[i + 1] = strdup(candidate) }
    list[shown.count + 1] = nil
    return list
  }
}
