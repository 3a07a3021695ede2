import ArgumentParser
import CKernel
import Data
import Foundation
import Lang
import Tensor

@main
struct Atelier: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "atelier",
    abstract: "A notebook language for exploring small neural networks on image data.",
    version: "atelier \(atelierVersion)",
    subcommands: [
      REPLCommand.self, RunCommand.self, CheckCommand.self, ConvertCommand.self, SweepCommand.self, GatherCommand.self,
      KernelCommand.self,
      DoctorCommand.self,
      DocsCommand.self,
    ],
    defaultSubcommand: REPLCommand.self)

  static func main() {
    restartForOpenBLASCoreIfNeeded()
    // The full report runs gnuplot, so it is built only when asked for.
    if Array(CommandLine.arguments.dropFirst()) == ["--version"] {
      print(Installation.versionReport())
      Foundation.exit(0)
    }
    runWithLargeStack {
      main(nil)
      Foundation.exit(0)
    }
  }
}

/// Runs the command on a thread with a large stack. Values people build can nest
/// deeply (a list of lists made in a loop); releasing one recurses once per level,
/// below any check the language can make. Only the pages touched are ever committed.
func runWithLargeStack(_ body: @escaping () -> Void) {
  let thread = Thread(block: body)
  thread.stackSize = 1 << 30
  thread.start()
  // The body ends the process (exit); the main thread only waits.
  while true { sleep(3600) }
}

let atelierVersion = AtelierVersion.number

/// OpenBLAS fixes its kernels when it loads, so steering it to the CPU's widest
/// instruction set (or to ATELIER_ISA's cap) means starting again with
/// OPENBLAS_CORETYPE set; oneDNN follows the same cap by itself.
func restartForOpenBLASCoreIfNeeded() {
  guard let core = atl_openblas_core_to_force() else { return }
  setenv("OPENBLAS_CORETYPE", core, 1)
  execv("/proc/self/exe", CommandLine.unsafeArgv)
  // execv returns only on failure: carry on with OpenBLAS's own choice.
}

/// Reads a notebook file, turning a missing or unreadable file into a clear error.
func readSource(_ path: String) throws -> SourceFile {
  guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
    let exists = FileManager.default.fileExists(atPath: path)
    throw AtelierError(exists ? "\(path) is not readable UTF-8 text" : "\(path): no such file")
  }
  return SourceFile(name: path, text: text)
}

func printError(_ error: Error) {
  FileHandle.standardError.write(Data(("\(error)" + "\n").utf8))
}

func standardOutputWriter(_ text: String) {
  FileHandle.standardOutput.write(Data(text.utf8))
}

/// An interpreter writing to standard output, with the standard library loaded.
func makeInterpreter() throws -> Interpreter {
  atl_install_interrupt_handler()
  let interpreter = Interpreter(write: standardOutputWriter, isTerminal: isatty(STDOUT_FILENO) != 0)
  try StandardLibrary.prepare(interpreter)
  return interpreter
}

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Replay a notebook and exit (non-zero on error).")

  @ArgumentParser.Argument(help: "The notebook (.atl) to run.") var file: String
  @Option(
    help: "Folder for figures and every file the notebook writes to a relative path (default: out/<notebook name>).")
  var out: String?
  @Flag(help: "Keep each figure's gnuplot script (.gp) and data (.dat) beside it.") var keepScripts = false
  @Option(
    help:
      "Write the notebook with its outputs and figures to this file: Markdown, or an executed Jupyter notebook for a .ipynb name."
  ) var report: String?
  @Option(name: .customLong("set"), help: "Define a setting read by setting(name, default), as name=value.")
  var settings: [String] = []
  @Option(help: "Where result({…}) writes the run's metrics as JSON (what a sweep reads).") var result: String?
  @Flag(help: "Run every statement; neither read nor write the replay cache.") var noCache = false
  @Flag(help: "Run every statement and store the expensive ones in the cache again.") var refresh = false
  @Option(help: "The replay cache's size limit, e.g. 2G or 500M (least recently used entries go first).")
  var cacheSize = "2G"

  func run() throws {
    let start = Date()
    var records: [StatementRecord] = []
    var failed = false
    var failure: String?
    do {
      let interpreter = try makeInterpreter()
      let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
      interpreter.outputDirectory = out ?? "out/\(name)"
      interpreter.keepScripts = keepScripts
      interpreter.resultPath = result
      for setting in settings {
        guard let eq = setting.firstIndex(of: "=") else {
          throw ValidationError("--set takes name=value, not \(setting)")
        }
        interpreter.settings[String(setting[..<eq])] = settingValue(String(setting[setting.index(after: eq)...]))
      }
      try NotebookRunner.replay(try readSource(file), in: interpreter, records: &records, cache: try replayCache())
    } catch let error as ValidationError {
      throw error
    } catch {
      printError(error)
      failed = true
      failure = "\(error)"
    }
    if let report {
      if report.lowercased().hasSuffix(".ipynb") {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let executed = JupyterReport.notebook(source: text, records: records, failure: failure)
        try AtomicFile.write(try NotebookConversion.encode(executed), to: report)
      } else {
        let markdown = Report.markdown(
          notebook: file, records: records, reportPath: report, seconds: Date().timeIntervalSince(start))
        try AtomicFile.write(markdown, to: report)
      }
    }
    if failed { throw ExitCode(1) }
  }
}

extension RunCommand {
  /// Statements that took over `$ATELIER_CACHE_MIN_SECONDS` (2 s) are kept in
  /// `$ATELIER_CACHE` (`.atelier-cache/` beside the notebook).
  func replayCache() throws -> ReplayCache? {
    guard !noCache else { return nil }
    guard let limit = MemoryBudget.parse(cacheSize), limit > 0 else {
      throw ValidationError("--cache-size takes a size such as 2G or 500M, not \(cacheSize)")
    }
    return ReplayCache(
      folder: ReplayCache.defaultFolder(for: file), sizeLimit: limit, threshold: cacheThreshold(), refresh: refresh)
  }
}

/// Seconds a statement must take to be cached: `$ATELIER_CACHE_MIN_SECONDS`, else 2.
func cacheThreshold() -> Double {
  max(ProcessInfo.processInfo.environment["ATELIER_CACHE_MIN_SECONDS"].flatMap(Double.init) ?? 2, 0)
}

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Check a notebook without running it: syntax, undefined names, builtin arguments.")

  @ArgumentParser.Argument(help: "The notebook (.atl) to check.") var file: String

  func run() throws {
    do {
      let count = try makeInterpreter().checkWithoutRunning(try readSource(file))
      print("\(file): \(count) statements, no errors found")
    } catch {
      printError(error)
      throw ExitCode(1)
    }
  }
}

struct ConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Convert a notebook between .atl and Jupyter's .ipynb (cells at # %% markers or blank lines).")

  @ArgumentParser.Argument(help: "The notebook to convert (.atl or .ipynb).") var file: String
  @Option(help: "The format to write: ipynb or atl (default: the other one).") var to: String?
  @Option(name: .shortAndLong, help: "Where to write (default: beside the input, with the new extension).")
  var output: String?

  func run() throws {
    let input = URL(fileURLWithPath: file)
    let from = input.pathExtension.lowercased()
    let format = (to ?? (from == "ipynb" ? "atl" : "ipynb")).lowercased()
    guard ["atl", "ipynb"].contains(from), ["atl", "ipynb"].contains(format), from != format else {
      throw ValidationError("convert goes from .atl to ipynb or from .ipynb to atl, not from .\(from) to \(format)")
    }
    let text: String
    do {
      text = try String(contentsOfFile: file, encoding: .utf8)
    } catch {
      throw ValidationError("\(file) cannot be read as UTF-8 text")
    }
    let converted =
      format == "ipynb"
      ? try NotebookConversion.encode(NotebookConversion.ipynb(fromAtl: text))
      : NotebookConversion.atl(fromIpynb: try NotebookConversion.decode(text, path: file))
    let target = output ?? input.deletingPathExtension().appendingPathExtension(format).path
    try AtomicFile.write(converted, to: target)
    print("wrote \(target)")
  }
}

struct DocsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "docs", abstract: "Print docs/LANGUAGE.md, generated from the builtin registry.", shouldDisplay: false)

  @Flag(help: "Print the reference as a manual page (atelier-language.7) instead.") var man = false

  func run() throws {
    guard man else { return print(LanguageDocs.markdown(), terminator: "") }
    let date = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate])
    print(
      ManualPage.roff(fromMarkdown: LanguageDocs.markdown(), name: "atelier-language", section: 7, date: date),
      terminator: "")
  }
}
