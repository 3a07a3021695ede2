import ArgumentParser
import CKernel
import CReadline
import Data
import Foundation
import Lang
import Plot

struct REPLCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "repl", abstract: "Start the interactive prompt (the default).")

  @Option(name: .short, help: "Run one statement and exit.") var e: String?

  func run() throws {
    let interpreter: Interpreter
    do {
      interpreter = try makeInterpreter()
    } catch {
      printError(error)
      throw ExitCode(1)
    }
    if let statement = e {
      do {
        try interpreter.run(SourceFile(name: "<-e>", text: statement))
      } catch {
        printError(error)
        throw ExitCode(1)
      }
      return
    }
    let session = REPLSession(interpreter: interpreter, interactive: isatty(STDIN_FILENO) != 0)
    REPLSession.current = session
    let failed = session.loop()
    if !session.interactive, failed { throw ExitCode(1) }
  }
}

/// The read-eval-print loop: readline on a terminal, plain line reading from a pipe.
final class REPLSession {
  nonisolated(unsafe) static var current: REPLSession?

  let interpreter: Interpreter
  let interactive: Bool
  let historyPath = (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.atelier_history"
  private var entryNumber = 0
  /// Lines read so far from a pipe, so that an error names its line in the whole input
  /// (an entry that a blank line closed was followed by one more).
  private var linesRead = 0
  private var entryFirstLine = 1
  /// Entries that ran without error, for `:save`.
  private var successfulEntries: [String] = []

  init(interpreter: Interpreter, interactive: Bool) {
    self.interpreter = interpreter
    self.interactive = interactive
    if interactive {
      LineEditor.start(historyPath: historyPath)
      // A terminal that is not recognised by name may still say it shows sixel graphics.
      if GraphicsMode.detect() == .text { GraphicsMode.terminalAnswer = GraphicsMode.askTerminal() }
    }
  }

  /// Runs until end of input or `:quit`; returns whether any entry failed.
  func loop() -> Bool {
    if interactive { print("Atelier — :help for help, :quit to leave. Tab completes.") }
    var failed = false
    while let entry = readEntry() {
      let firstLine = entryFirstLine
      let trimmed = entry.trimmingCharacters(in: .whitespacesAndNewlines)
      if trimmed.isEmpty { continue }
      // Leaving is not worth recalling: Up after a restart gives the last real entry.
      let leaving = [":quit", ":q", ":exit"].contains(trimmed)
      if interactive, !leaving { LineEditor.remember(entry, historyPath: historyPath) }
      if trimmed.hasPrefix(":") {
        guard let ok = command(trimmed) else { break }
        failed = failed || !ok
        continue
      }
      if evaluate(entry, firstLine: firstLine) { successfulEntries.append(entry) } else { failed = true }
    }
    if interactive { print("") }
    return failed
  }

  /// Runs one entry; returns whether it succeeded.
  @discardableResult
  private func evaluate(_ entry: String, firstLine: Int = 1) -> Bool {
    entryNumber += 1
    defer { atl_interrupt_clear() }
    do {
      let source =
        interactive
        ? SourceFile(name: "<repl \(entryNumber)>", text: entry)
        : SourceFile(name: "<stdin>", text: entry, firstLine: firstLine)
      try interpreter.run(source)
      return true
    } catch {
      printError(error)
      return false
    }
  }

  /// One entry: lines are joined while brackets or braces stay open.
  private func readEntry() -> String? {
    var lines: [String] = []
    entryFirstLine = linesRead + 1
    while true {
      guard let line = readLine(prompt: lines.isEmpty ? "atelier> " : "   ...> ") else {
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
      }
      if LineEditor.cancelled {
        // The lines typed before Ctrl-C are abandoned; this one starts a new entry.
        LineEditor.cancelled = false
        lines = []
      }
      // An empty line at the continuation prompt submits the entry as it is,
      // so an unclosed bracket gets its error instead of waiting forever.
      if !lines.isEmpty, line.trimmingCharacters(in: .whitespaces).isEmpty { return lines.joined(separator: "\n") }
      lines.append(line)
      if openBrackets(lines.joined(separator: "\n")) <= 0 { return lines.joined(separator: "\n") }
    }
  }

  private func readLine(prompt: String) -> String? {
    guard interactive else {
      let line = Swift.readLine(strippingNewline: true)
      if line != nil { linesRead += 1 }
      return line
    }
    return LineEditor.read(prompt: prompt)
  }

  /// Handles a `:command`; nil leaves the REPL, otherwise whether it succeeded.
  private func command(_ text: String) -> Bool? {
    let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
    let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
    switch parts[0] {
    case ":quit", ":q", ":exit":
      return nil
    case ":vars":
      let rows = interpreter.globals.filter { !$0.value.isCallable || isUserFunction($0.value) }
        .sorted { $0.key < $1.key }
        .map { [$0.key, $0.value.typeName, Printer.brief($0.value)] }
      print(rows.isEmpty ? "no variables yet" : Printer.table([["name", "type", "value"]] + rows))
    case ":help":
      print(Help.text(for: argument.isEmpty ? nil : argument, interpreter: interpreter))
    case ":time":
      guard !argument.isEmpty else {
        print("usage: :time statement")
        return false
      }
      let start = Date()
      let ok = evaluate(argument)
      print(String(format: "time: %.3f s", Date().timeIntervalSince(start)))
      if ok { successfulEntries.append(argument) }
      return ok
    case ":load":
      guard !argument.isEmpty else {
        print("usage: :load notebook.atl")
        return false
      }
      do {
        try interpreter.run(try readSource(argument))
        successfulEntries.append("use \"\(argument)\"")
      } catch {
        printError(error)
        return false
      }
    case ":save":
      guard !argument.isEmpty else {
        print("usage: :save notebook.atl")
        return false
      }
      let text = "# Saved from an Atelier session.\n" + successfulEntries.joined(separator: "\n") + "\n"
      do {
        try AtomicFile.write(text, to: argument)
        print("saved \(successfulEntries.count) entries to \(argument)")
      } catch {
        print("cannot write \(argument): \(error.localizedDescription)")
        return false
      }
    default:
      print(
        "unknown command \(parts[0]); the commands are :help [name], :vars, :time stmt, :load file, :save file, :quit")
      return false
    }
    return true
  }

  /// Functions the user wrote, not those of the standard library.
  private func isUserFunction(_ value: Value) -> Bool {
    guard case .function(let f) = value else { return false }
    let library = StandardLibrary.locate().map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "\u{0}"
    return !URL(fileURLWithPath: f.declaration.location.file.name).standardizedFileURL.path.hasPrefix(library)
  }
}
