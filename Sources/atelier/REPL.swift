import ArgumentParser
import CKernel
import CReadline
import Foundation
import Lang

struct REPLCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "repl", abstract: "Start the interactive prompt (the default).")

  func run() throws {
    atl_install_interrupt_handler()
    let interactive = isatty(STDIN_FILENO) != 0
    let interpreter = Interpreter(write: standardOutputWriter, isTerminal: isatty(STDOUT_FILENO) != 0)
    let session = REPLSession(interpreter: interpreter, interactive: interactive)
    let failed = session.loop()
    if !interactive, failed { throw ExitCode(1) }
  }
}

/// The read-eval-print loop: readline on a terminal, plain line reading from a pipe.
final class REPLSession {
  let interpreter: Interpreter
  let interactive: Bool
  let historyPath = (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.atelier_history"
  private var entryNumber = 0

  init(interpreter: Interpreter, interactive: Bool) {
    self.interpreter = interpreter
    self.interactive = interactive
    if interactive {
      using_history()
      // append_history only appends to a file that exists.
      if read_history(historyPath) != 0 { write_history(historyPath) }
      // Ctrl-C at the prompt abandons the line being typed, as in a shell.
      rl_signal_event_hook = {
        if atl_interrupt_pending() != 0 {
          atl_interrupt_clear()
          fputs("\n", stdout)
          rl_on_new_line()
          rl_replace_line("", 0)
          rl_redisplay()
        }
        return 0
      }
    }
  }

  /// Runs until end of input or `:quit`; returns whether any entry failed.
  func loop() -> Bool {
    if interactive { print("Atelier — type :help for help, :quit to leave.") }
    var failed = false
    while let entry = readEntry() {
      let trimmed = entry.trimmingCharacters(in: .whitespacesAndNewlines)
      if trimmed.isEmpty { continue }
      if interactive {
        add_history(entry)
        append_history(1, historyPath)
      }
      if trimmed.hasPrefix(":") {
        if !command(trimmed) { break }
        continue
      }
      entryNumber += 1
      do {
        try interpreter.run(SourceFile(name: interactive ? "<repl \(entryNumber)>" : "<stdin>", text: entry))
      } catch {
        report(error)
        failed = true
      }
      atl_interrupt_clear()
    }
    if interactive { print("") }
    return failed
  }

  /// One entry: lines are joined while brackets or braces stay open.
  private func readEntry() -> String? {
    var lines: [String] = []
    while true {
      guard let line = readLine(prompt: lines.isEmpty ? "atelier> " : "   ...> ") else {
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
      }
      lines.append(line)
      if openBrackets(lines.joined(separator: "\n")) <= 0 { return lines.joined(separator: "\n") }
    }
  }

  private func readLine(prompt: String) -> String? {
    guard interactive else { return Swift.readLine(strippingNewline: true) }
    guard let raw = readline(prompt) else { return nil }
    defer { free(raw) }
    return String(cString: raw)
  }

  /// Handles a `:command`; returns false to leave.
  private func command(_ text: String) -> Bool {
    let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
    switch parts[0] {
    case ":quit", ":q", ":exit": return false
    case ":vars":
      for (name, value) in interpreter.globals.sorted(by: { $0.key < $1.key }) {
        print("\(name): \(value.typeName)")
      }
    case ":help":
      for b in Registry.all.sorted(by: { $0.name < $1.name }) { print("\(b.signature)\n    \(b.summary)") }
    default:
      print("unknown command \(parts[0]); try :help, :vars or :quit")
    }
    return true
  }
}

/// Net count of open ( [ { outside strings and comments.
func openBrackets(_ text: String) -> Int {
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
