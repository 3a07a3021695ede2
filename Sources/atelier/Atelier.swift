import ArgumentParser
import CKernel
import Foundation
import Lang

@main
struct Atelier: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "atelier",
    abstract: "A notebook language for exploring small neural networks on image data.",
    subcommands: [REPLCommand.self, RunCommand.self, CheckCommand.self],
    defaultSubcommand: REPLCommand.self)
}

/// Reads a notebook file, turning a missing or unreadable file into a clear error.
func readSource(_ path: String) throws -> SourceFile {
  guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
    let exists = FileManager.default.fileExists(atPath: path)
    throw AtelierError(exists ? "\(path) is not readable UTF-8 text" : "\(path): no such file")
  }
  return SourceFile(name: path, text: text)
}

func report(_ error: Error) {
  FileHandle.standardError.write(Data(("\(error)" + "\n").utf8))
}

func standardOutputWriter(_ text: String) {
  FileHandle.standardOutput.write(Data(text.utf8))
}

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Replay a notebook and exit (non-zero on error).")

  @ArgumentParser.Argument(help: "The notebook (.atl) to run.") var file: String

  func run() throws {
    atl_install_interrupt_handler()
    let interpreter = Interpreter(write: standardOutputWriter, isTerminal: isatty(STDOUT_FILENO) != 0)
    do {
      try interpreter.run(try readSource(file))
    } catch {
      report(error)
      throw ExitCode(1)
    }
  }
}

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check", abstract: "Parse a notebook without running it.")

  @ArgumentParser.Argument(help: "The notebook (.atl) to check.") var file: String

  func run() throws {
    do {
      let statements = try Parser.parse(try readSource(file))
      print("\(file): \(statements.count) statements, no syntax errors")
    } catch {
      report(error)
      throw ExitCode(1)
    }
  }
}
