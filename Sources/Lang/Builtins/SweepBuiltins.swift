import CKernel
import Foundation

let sweepBuiltins: [Builtin] = [
  Builtin(
    "sweep", family: "sweeps",
    parameters: [
      Parameter(
        "notebook", type: .string,
        "the notebook run once per setting and fold; it reads each with setting(name, default) and reports with result({…})"
      ),
      Parameter("grid", type: .record, "each name's values: {lr: [0.01, 0.1], dropout: [0.3, 0.5]}"),
      Parameter("set", default: .none, type: .record, "settings every run gets, e.g. {quick: true, epochs: 5}"),
      Parameter(
        "folds", default: .number(1), whole: 1...1000, "runs per setting, each given setting(\"fold\") = 0, 1, …"),
      Parameter(
        "on", default: .string("local"), oneOf: Parameter.options(SweepOptions.Backend.self), "where the runs go"),
      Parameter(
        "jobs", default: .none, type: .number, whole: 1...10_000,
        "runs at once (local: default one per core; slurm: the array's %M limit)"),
      Parameter(
        "out", default: .none, type: .string,
        "the sweep's folder (default out/sweep-<notebook>): manifest, each run's files, log and result"),
      Parameter("retry", default: .number(0), whole: 0...100, "times a failed run is tried again"),
      Parameter(
        "by", default: .string("val_acc"), type: .string,
        "the result the table is sorted by (losses low first, others high first)"),
      Parameter(
        "wait", default: .bool(true), "slurm: follow the job until it ends; false returns once submitted (gather later)"
      ),
      Parameter(
        "cpus", default: .none, type: .number, whole: 1...1024,
        "slurm: --cpus-per-task (each run's threads); default $ATELIER_SLURM_CPUS or 1"),
      Parameter("mem", default: .none, type: .string, "slurm: --mem, e.g. \"4G\"; default $ATELIER_SLURM_MEM or 2G"),
      Parameter(
        "time", default: .none, type: .string, "slurm: --time, e.g. \"02:00:00\"; default $ATELIER_SLURM_TIME or 1 hour"
      ),
      Parameter("partition", default: .none, type: .string, "slurm: --partition; default $ATELIER_SLURM_PARTITION"),
      Parameter("account", default: .none, type: .string, "slurm: --account; default $ATELIER_SLURM_ACCOUNT"),
      Parameter("allow_changed", default: .bool(false), "keep results computed by an earlier version of the notebook"),
    ],
    summary:
      "Runs a notebook once per setting of a grid (and fold) as separate processes, locally or on Slurm; returns grid's table.",
    help:
      "sweep(\"train_one.atl\", grid: {lr: [0.01, 0.1], dropout: [0.3, 0.5]}, folds: 3, jobs: 2). A run whose result exists is not run again; Ctrl-C stops the local runs and keeps the finished ones."
  ) { args, context in
    let notebook = context.resolve(try args.string("notebook"))
    let name = URL(fileURLWithPath: notebook).deletingPathExtension().lastPathComponent
    let out = try context.outputPath(args.has("out") ? try args.string("out") : "out/sweep-\(name)")
    var options = SweepOptions()
    options.backend = try args.choice("on", of: SweepOptions.Backend.self)
    options.jobs = try args.optionalInt("jobs") ?? 0
    options.retry = try args.int("retry")
    options.wait = try args.bool("wait")
    options.allowChanged = try args.bool("allow_changed")
    options.slurm.cpus = try args.optionalInt("cpus")
    for (key, path) in [
      ("mem", \SlurmSettings.memory), ("time", \.time), ("partition", \.partition), ("account", \.account),
    ]
    where args.has(key) {
      options.slurm[keyPath: path] = try args.string(key)
    }
    let session = context.session
    let (report, rows) = try Sweep.run(
      notebook: notebook, grid: try Sweep.grid(args["grid"]),
      fixed: args.has("set") ? try Sweep.fixed(args["set"]) : [], folds: try args.int("folds"), out: out,
      by: try args.string("by"), options: options, executable: sweepExecutable(), write: session.write,
      isTerminal: session.isTerminal)
    guard let rows else {
      session.write("sweep: gather(\"\(out)\") collects the results when the job is done\n")
      return .none
    }
    session.write(report.text + "\n")
    return .list(rows)
  },
  Builtin(
    "gather", family: "sweeps",
    parameters: [
      Parameter("out", type: .string, "a sweep's folder"),
      Parameter("by", default: .string("val_acc"), type: .string, "the result the table is sorted by"),
    ],
    summary:
      "The table of a sweep's results as they are now (runs still on a cluster, or stopped); says what is missing."
  ) { args, context in
    let (report, rows) = try Sweep.gather(context.resolve(try args.string("out")), by: try args.string("by"))
    context.session.write(report.text + "\n")
    return .list(rows)
  },
  Builtin(
    "result", family: "sweeps",
    parameters: [
      Parameter("metrics", type: .record, "numbers (and strings or true/false): {val_acc: r.acc, val_loss: r.loss}")
    ],
    summary:
      "Reports a run's results to the sweep that started it (atomically, as JSON); elsewhere it just returns them."
  ) { args, context in
    guard case .record(let record) = args["metrics"] else { throw AtelierError("result: metrics is a record") }
    if let path = context.session.resultPath {
      // A run stopped by Ctrl-C finished early: its figures would mislead the table.
      guard atl_interrupt_count() == 0 else {
        throw AtelierError("result: this run was interrupted, so its result is not reported")
      }
      try SweepResult.write(
        record, to: path, notebook: ProcessInfo.processInfo.environment[SweepResult.notebookVariable])
    }
    return .record(record)
  },
]

/// The atelier that runs each setting: this one, unless `$ATELIER_EXECUTABLE` names another.
func sweepExecutable() -> String {
  ProcessInfo.processInfo.environment["ATELIER_EXECUTABLE"] ?? StandardLibrary.executablePath()
}
