import CKernel
import Foundation
import NN

/// Where a sweep's runs go and how they are followed.
public struct SweepOptions {
  public enum Backend: String, CaseIterable { case local, slurm }
  public var backend = Backend.local
  /// Runs at once: local processes, or Slurm's `%M` (0: as many as the cluster gives).
  public var jobs = 0
  /// How many times a failed run is tried again.
  public var retry = 0
  public var wait = true
  public var allowChanged = false
  public var slurm = SlurmSettings()
  public init() {}
}

/// What a sweep ended with: runs finished, and the ones that failed with their log's tail.
public struct SweepReport {
  public let plan: SweepPlan
  public var total: Int
  public var done: Int
  public var failures: [(task: SweepTask, reason: String, log: String)]
  /// Results kept from an earlier version of the notebook (`allow_changed`).
  public var otherVersions = 0

  public var text: String {
    var text = "sweep: \(done) of \(total) runs finished"
    if otherVersions > 0 { text += " (\(otherVersions) by an earlier version of the notebook)" }
    if failures.isEmpty { return text }
    text += "; \(failures.count) failed:"
    for failure in failures {
      text += "\n  run \(failure.task.index) (\(describe(failure.task, plan))): \(failure.reason)"
      text += "\n" + failure.log.split(separator: "\n").map { "    | \($0)" }.joined(separator: "\n")
    }
    return text + "\nrun the sweep again (with retry:) to run only those"
  }
}

func describe(_ task: SweepTask, _ plan: SweepPlan) -> String {
  (plan.names.map { "\($0)=\(task.setting[$0]?.setText ?? "")" } + ["fold \(task.fold)"]).joined(separator: ", ")
}

/// Runs the tasks of a plan that have no result yet as separate `atelier run` processes.
public struct SweepRunner {
  public let plan: SweepPlan
  public let folder: SweepFolder
  public let executable: String
  public let options: SweepOptions
  public let write: (String) -> Void
  public let isTerminal: Bool

  public init(
    plan: SweepPlan, folder: SweepFolder, executable: String, options: SweepOptions, write: @escaping (String) -> Void,
    isTerminal: Bool
  ) {
    self.plan = plan
    self.folder = folder
    self.executable = executable
    self.options = options
    self.write = write
    self.isTerminal = isTerminal
  }

  var pending: [SweepTask] { plan.tasks.filter { !folder.isDone($0.index) } }

  func report(failures: [(SweepTask, String)]) -> SweepReport {
    var report = SweepReport(
      plan: plan, total: plan.tasks.count, done: plan.tasks.filter { folder.isDone($0.index) }.count,
      failures: failures.map { (task: $0.0, reason: $0.1, log: folder.logTail($0.0.index)) })
    report.otherVersions = folder.resultsOfOtherVersions(plan).count
    return report
  }

  /// Local processes, `jobs` at a time, each with its share of the cores.
  public func runLocal() throws -> SweepReport {
    let cores = max(Int(atl_threads()), 1)
    let jobs = max(1, options.jobs > 0 ? options.jobs : cores)
    var environment = ProcessInfo.processInfo.environment
    if environment["ATELIER_THREADS"] == nil { environment["ATELIER_THREADS"] = String(max(1, cores / jobs)) }
    environment[SweepResult.notebookVariable] = plan.notebookHash
    var queue = pending.map { (task: $0, attempt: 0) }
    var running: [(process: Process, task: SweepTask, attempt: Int, started: Date)] = []
    var failures: [(SweepTask, String)] = []
    let total = plan.tasks.count
    var finished = total - queue.count
    if finished > 0 { write("sweep: \(finished) of \(total) runs already done\n") }
    while !queue.isEmpty || !running.isEmpty {
      if takePendingInterrupt() {
        for entry in running { entry.process.terminate() }
        for entry in running { entry.process.waitUntilExit() }
        throw AtelierError(
          "sweep interrupted: \(plan.tasks.filter { folder.isDone($0.index) }.count) of \(total) runs finished and kept",
          hint: "run the same sweep again to go on from there")
      }
      while running.count < jobs, !queue.isEmpty {
        let next = queue.removeFirst()
        do {
          running.append((try start(next.task, environment: environment), next.task, next.attempt, Date()))
        } catch {
          for entry in running { entry.process.terminate() }
          for entry in running { entry.process.waitUntilExit() }
          throw error
        }
      }
      usleep(50_000)
      var still: [(process: Process, task: SweepTask, attempt: Int, started: Date)] = []
      for entry in running {
        if entry.process.isRunning {
          still.append(entry)
          continue
        }
        let status = entry.process.terminationStatus
        let seconds = String(format: "%.1f", Date().timeIntervalSince(entry.started))
        if status == 0, folder.isDone(entry.task.index) {
          finished += 1
          write(
            "sweep: run \(entry.task.index) (\(describe(entry.task, plan))) done in \(seconds) s [\(finished)/\(total)]\n"
          )
        } else {
          let reason = status == 0 ? "finished without calling result(…)" : "exit status \(status)"
          if entry.attempt < options.retry {
            write("sweep: run \(entry.task.index) failed (\(reason)); trying again\n")
            queue.append((entry.task, entry.attempt + 1))
          } else {
            failures.append((entry.task, reason))
          }
        }
      }
      running = still
    }
    return report(failures: failures)
  }

  private func start(_ task: SweepTask, environment: [String: String]) throws -> Process {
    let log = folder.logFile(task.index)
    guard FileManager.default.createFile(atPath: log, contents: nil), let handle = FileHandle(forWritingAtPath: log)
    else { throw AtelierError("sweep: cannot write \(log)") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments =
      ["run"] + task.runArguments(plan, folder: folder.taskFolder(task.index))
    process.environment = environment
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw AtelierError("sweep: cannot start \(executable): \(error.localizedDescription)")
    }
    try? handle.close()
    return process
  }
}
