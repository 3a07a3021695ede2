import ArgumentParser
import CKernel
import CReadline
import Data
import Foundation
import Lang
import Plot
import Tensor

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
  /// The replay cache of the notebook last loaded, for `:cache`.
  private var cacheFolder: String?
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
    switch PromptCommand.parse(text) ?? .unknown(text) {
    case .quit:
      return nil
    case .vars:
      print(PromptCommand.variables(of: interpreter))
    case .help(let name):
      print(Help.text(for: name, interpreter: interpreter))
    case .time(let statement):
      guard !statement.isEmpty else {
        print("usage: :time statement")
        return false
      }
      let start = Date()
      let ok = evaluate(statement)
      print(String(format: "time: %.3f s", Date().timeIntervalSince(start)))
      if ok { successfulEntries.append(statement) }
      return ok
    case .load(let path):
      guard !path.isEmpty else {
        print("usage: :load notebook.atl")
        return false
      }
      do {
        // A notebook loaded at the prompt restores what an earlier replay of it computed.
        var records: [StatementRecord] = []
        let cache = ReplayCache(folder: ReplayCache.defaultFolder(for: path), threshold: cacheThreshold())
        cacheFolder = cache.folder
        try NotebookRunner.replay(try readSource(path), in: interpreter, records: &records, cache: cache)
        successfulEntries.append("use \"\(path)\"")
      } catch {
        printError(error)
        return false
      }
    case .cache(let what):
      let cache = ReplayCache(folder: cacheFolder ?? ReplayCache.defaultFolder(for: "./notebook.atl"))
      if what == "clear" {
        cache.clear()
        print("emptied the replay cache in \(cache.folder)")
      } else {
        let listing = cache.listing()
        print(
          "replay cache \(cache.folder): \(listing.entries) entries, \(MemoryBudget.format(bytes: Double(listing.bytes)))"
            + " (:cache clear empties it)")
        let rows = listing.statements.prefix(40).map { entry in
          [MemoryBudget.format(bytes: Double(entry.bytes)), String(format: "%.1f s", entry.seconds), entry.source]
        }
        if !rows.isEmpty { print(Printer.table([["size", "saves", "statement"]] + rows, rightAligned: [0, 1])) }
      }
    case .save(let path):
      guard !path.isEmpty else {
        print("usage: :save notebook.atl")
        return false
      }
      let text = "# Saved from an Atelier session.\n" + successfulEntries.joined(separator: "\n") + "\n"
      do {
        try AtomicFile.write(text, to: path)
        print("saved \(successfulEntries.count) entries to \(path)")
      } catch {
        print("cannot write \(path): \(error.localizedDescription)")
        return false
      }
    case .unknown(let name):
      print("unknown command \(name); the commands are \(PromptCommand.summary)")
      return false
    }
    return true
  }

}
