import ArgumentParser
import CKernel
import Data
import Foundation
import Lang

/// What `atelier sweep` and `atelier gather` share: where the table goes.
struct TableOutput: ParsableArguments {
  @Option(help: "The result the table is sorted by (losses low first, others high first).") var by = "val_acc"
  @Option(help: "Also write the table to this CSV file.") var csv: String?

  func show(_ rows: [Value]) throws {
    print(rows.isEmpty ? "no results yet" : Printer.show(.list(rows)))
    if let csv { try AtomicFile.write(try CSV.text(for: .list(rows)), to: csv) }
  }
}

struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Run a notebook once per setting of a grid (and fold), locally or on Slurm; print the results' table.",
    discussion:
      "atelier sweep train_one.atl --grid lr=0.01,0.1 --grid dropout=0.3,0.5 --folds 3 --on slurm\nEach run is `atelier run NOTEBOOK --set name=value … --set fold=i`; the notebook reports with result({val_acc: …}). Runs with a result are not run again."
  )

  @ArgumentParser.Argument(help: "The notebook run for each setting.") var notebook: String
  @Option(help: "name=value1,value2,… (repeat for each name).") var grid: [String] = []
  @Option(name: .customLong("set"), help: "A setting every run gets, as name=value (repeatable).") var fixed: [String] =
    []
  @Option(help: "Runs per setting, each with setting(\"fold\") = 0, 1, ….") var folds = 1
  @Option(help: "Where the runs go: local or slurm.") var on = "local"
  @Option(help: "Runs at once (local: default one per core; slurm: the array's %M limit).") var jobs: Int?
  @Option(help: "The sweep's folder (default out/sweep-<notebook>).") var out: String?
  @Option(help: "Times a failed run is tried again.") var retry = 0
  @Flag(help: "Slurm: return once submitted; `atelier gather` collects later.") var noWait = false
  @Flag(help: "Keep results computed by an earlier version of the notebook.") var allowChanged = false
  @Option(help: "Slurm: --cpus-per-task.") var cpus: Int?
  @Option(help: "Slurm: --mem.") var mem: String?
  @Option(help: "Slurm: --time.") var time: String?
  @Option(help: "Slurm: --partition.") var partition: String?
  @Option(help: "Slurm: --account.") var account: String?
  @OptionGroup var table: TableOutput

  func run() throws {
    atl_install_interrupt_handler()
    var options = SweepOptions()
    guard let backend = SweepOptions.Backend(rawValue: on) else { throw ValidationError("--on is local or slurm") }
    guard (1...1000).contains(folds), (0...100).contains(retry), (jobs ?? 1) >= 1 else {
      throw ValidationError("--folds is 1 to 1000, --retry 0 to 100, --jobs at least 1")
    }
    options.backend = backend
    options.jobs = jobs ?? 0
    options.retry = retry
    options.wait = !noWait
    options.allowChanged = allowChanged
    options.slurm.cpus = cpus
    options.slurm.memory = mem
    options.slurm.time = time
    options.slurm.partition = partition
    options.slurm.account = account
    let axes = try grid.map { text -> (String, [SweepValue]) in
      let (name, values) = try nameAndValue(text, "--grid takes name=value1,value2,…")
      return (name, values.split(separator: ",").map { sweepValue(String($0)) })
    }
    let sets = try fixed.map { text -> (String, SweepValue) in
      let (name, value) = try nameAndValue(text, "--set takes name=value")
      return (name, sweepValue(value))
    }
    let name = URL(fileURLWithPath: notebook).deletingPathExtension().lastPathComponent
    do {
      let (report, rows) = try Sweep.run(
        notebook: notebook, grid: axes, fixed: sets, folds: folds, out: out ?? "out/sweep-\(name)", by: table.by,
        options: options,
        executable: StandardLibrary.executablePath(), write: standardOutputWriter,
        isTerminal: isatty(STDOUT_FILENO) != 0)
      guard let rows else { return print("atelier gather \(out ?? "out/sweep-\(name)") collects the results later") }
      print(report.text)
      try table.show(rows)
      if !report.failures.isEmpty { throw ExitCode(1) }
    } catch let error as AtelierError {
      printError(error)
      throw ExitCode(1)
    }
  }
}

func nameAndValue(_ text: String, _ usage: String) throws -> (String, String) {
  guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { throw ValidationError("\(usage), not \(text)") }
  return (String(text[..<eq]), String(text[text.index(after: eq)...]))
}

/// A value typed on the command line, read as `--set` reads it.
func sweepValue(_ text: String) -> SweepValue {
  switch settingValue(text) {
  case .number(let n): return .number(n)
  case .bool(let b): return .bool(b)
  default: return .string(text)
  }
}

struct GatherCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gather", abstract: "Print the table of a sweep's results as they are now, and what is missing.")

  @ArgumentParser.Argument(help: "The sweep's folder.") var out: String
  @OptionGroup var table: TableOutput

  func run() throws {
    do {
      let (report, rows) = try Sweep.gather(out, by: table.by)
      print(report.text)
      try table.show(rows)
    } catch let error as AtelierError {
      printError(error)
      throw ExitCode(1)
    }
  }
}
