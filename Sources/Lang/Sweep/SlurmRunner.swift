import CKernel
import Data
import Foundation
import NN

/// What each array task asks Slurm for; unset ones come from `$ATELIER_SLURM_*`.
public struct SlurmSettings {
  public var cpus: Int?
  public var memory: String?
  public var time: String?
  public var partition: String?
  public var account: String?
  public init() {}

  func resolved(_ environment: [String: String]) -> (
    cpus: Int, memory: String, time: String, partition: String?, account: String?
  ) {
    (
      cpus ?? environment["ATELIER_SLURM_CPUS"].flatMap(Int.init) ?? 1,
      memory ?? environment["ATELIER_SLURM_MEM"] ?? "2G",
      time ?? environment["ATELIER_SLURM_TIME"] ?? "01:00:00",
      partition ?? environment["ATELIER_SLURM_PARTITION"],
      account ?? environment["ATELIER_SLURM_ACCOUNT"]
    )
  }
}

/// A sweep on a Slurm cluster: one `sbatch` array job whose task i runs the sweep's task i.
extension SweepRunner {
  /// `sweep.sbatch` for the given tasks: each array index runs `atelier run` with its
  /// settings, on `--cpus-per-task` threads.
  public func slurmScript(for tasks: [SweepTask], environment: [String: String] = ProcessInfo.processInfo.environment)
    -> String
  {
    let s = options.slurm.resolved(environment)
    let limit = options.jobs > 0 ? "%\(options.jobs)" : ""
    // Slurm expands % in file names: a literal one is written %%.
    let logs = (folder.path + "/tasks/%a/log.txt").replacingOccurrences(of: "%", with: "%%")
      .replacingOccurrences(of: "%%a", with: "%a")
    var lines = [
      "#!/bin/bash",
      "# Written by atelier sweep: one array task per run of \(plan.notebook).",
      "#SBATCH --job-name=atelier-sweep",
      "#SBATCH --array=\(SweepRunner.arraySpec(tasks.map(\.index)))\(limit)",
      "#SBATCH --cpus-per-task=\(s.cpus)",
      "#SBATCH --mem=\(s.memory)",
      "#SBATCH --time=\(s.time)",
      "#SBATCH --output=\"\(logs)\"",
    ]
    if let partition = s.partition { lines.append("#SBATCH --partition=\(partition)") }
    if let account = s.account { lines.append("#SBATCH --account=\(account)") }
    lines += [
      "export ATELIER_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"",
      "export \(SweepResult.notebookVariable)=\(plan.notebookHash)",
      "case \"$SLURM_ARRAY_TASK_ID\" in",
    ]
    for task in tasks {
      let arguments =
        ["run"] + task.runArguments(plan, folder: folder.taskFolder(task.index))
      lines.append(
        "  \(task.index)) exec \(shellQuoted(executable)) \(arguments.map(shellQuoted).joined(separator: " ")) ;;")
    }
    lines += ["  *) echo \"no run $SLURM_ARRAY_TASK_ID in this sweep\" >&2; exit 2 ;;", "esac", ""]
    return lines.joined(separator: "\n")
  }

  /// `0-3,7,9-10`: Slurm's array syntax for the indices.
  static func arraySpec(_ indices: [Int]) -> String {
    var ranges: [(first: Int, last: Int)] = []
    for index in indices.sorted() {
      if let open = ranges.last, index == open.last + 1 {
        ranges[ranges.count - 1].last = index
      } else {
        ranges.append((index, index))
      }
    }
    return ranges.map { $0.first == $0.last ? "\($0.first)" : "\($0.first)-\($0.last)" }.joined(separator: ",")
  }

  /// Submits the runs without results; returns the job id.
  public func submitToSlurm(_ tasks: [SweepTask]) throws -> String {
    let s = options.slurm.resolved(ProcessInfo.processInfo.environment)
    for (name, value) in [("mem", s.memory), ("time", s.time), ("partition", s.partition), ("account", s.account)] {
      guard let value else { continue }
      guard !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || ":._-".contains($0) }),
        value.unicodeScalars.allSatisfy(\.isASCII)
      else { throw AtelierError("sweep: \(name) \"\(value)\" is not a Slurm value (letters, digits, : . _ -)") }
    }
    guard !folder.path.contains("\""), !folder.path.contains("\n") else {
      throw AtelierError("sweep: Slurm cannot write logs into \(folder.path)", hint: "choose an out: without quotes")
    }
    // A job of this sweep still on the cluster: its runs would be submitted twice.
    let jobs = folder.path + "/slurm-jobs.txt"
    let earlier = ((try? String(contentsOfFile: jobs, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    if !earlier.isEmpty {
      let queued = try Command.run(["squeue", "-h", "-r", "-j", earlier.joined(separator: ","), "-o", "%i"])
      let still = queued.text.split(separator: "\n").map { String($0.split(separator: "_").first ?? "") }
      if queued.status == 0, let job = still.first {
        throw AtelierError(
          "sweep: Slurm job \(job) of this sweep is still queued or running",
          hint: "gather(\"\(folder.path)\") shows what has finished; scancel \(job) stops it")
      }
    }
    let script = folder.path + "/sweep.sbatch"
    try AtomicFile.write(slurmScript(for: tasks), to: script)
    let output = try Command.run(["sbatch", "--parsable", script])
    guard output.status == 0 else {
      throw AtelierError(
        "sweep: sbatch refused the job: \(output.text.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
    let job = output.text.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    guard !job.isEmpty, job.allSatisfy(\.isNumber) else {
      throw AtelierError("sweep: sbatch answered '\(output.text)'")
    }
    try AtomicFile.write(earlier.map { $0 + "\n" }.joined() + job + "\n", to: jobs)
    return job
  }

  /// Submits, follows the job with squeue until its tasks leave the queue, and tries
  /// failed runs again up to `retry` times.
  public func runOnSlurm() throws -> SweepReport {
    var attempt = 0
    while true {
      let tasks = pending
      guard !tasks.isEmpty else { return report(failures: []) }
      let job = try submitToSlurm(tasks)
      write("sweep: submitted Slurm job \(job) (\(tasks.count) runs); sweep.sbatch and logs in \(folder.path)\n")
      guard options.wait else { return report(failures: []) }
      try follow(job, tasks: tasks)
      let failed = tasks.filter { !folder.isDone($0.index) }
      if failed.isEmpty || attempt >= options.retry {
        let states = SweepRunner.finalStates(job)
        return report(failures: failed.map { ($0, states[$0.index].map { "Slurm state \($0)" } ?? "no result") })
      }
      attempt += 1
      write("sweep: \(failed.count) runs failed; submitting them again (try \(attempt + 1))\n")
    }
  }

  /// Waits while the job's tasks are queued or running, with a progress line.
  func follow(_ job: String, tasks: [SweepTask]) throws {
    var lastLine = ""
    while true {
      if takePendingInterrupt() {
        throw AtelierError(
          "sweep: stopped following Slurm job \(job); its runs go on on the cluster",
          hint: "gather(\"\(folder.path)\") collects the results later; scancel \(job) stops them")
      }
      let queue = try Command.run(["squeue", "-h", "-r", "-j", job, "-o", "%t"])
      let states = queue.text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
      let pendingCount = states.filter { $0 == "PD" || $0 == "CF" }.count
      let runningCount = states.filter { $0 == "R" || $0 == "CG" }.count
      let done = tasks.filter { folder.isDone($0.index) }.count
      let failed = max(0, tasks.count - done - pendingCount - runningCount)
      let line = "sweep: job \(job): pending \(pendingCount), running \(runningCount), done \(done), failed \(failed)"
      if line != lastLine {
        write(isTerminal ? "\r\u{1B}[2K" + line : line + "\n")
        lastLine = line
      }
      if queue.status == 0, states.isEmpty { break }
      usleep(1_000_000)
    }
    if isTerminal { write("\n") }
  }

  /// Each array task's final state from sacct, where the cluster keeps accounting.
  static func finalStates(_ job: String) -> [Int: String] {
    guard let output = try? Command.run(["sacct", "-n", "-P", "-X", "-j", job, "-o", "JobID,State"]), output.status == 0
    else { return [:] }
    var states: [Int: String] = [:]
    for line in output.text.split(separator: "\n") {
      let parts = line.split(separator: "|")
      guard parts.count == 2, let underscore = parts[0].firstIndex(of: "_"),
        let index = Int(parts[0][parts[0].index(after: underscore)...])
      else { continue }
      states[index] = String(parts[1]).components(separatedBy: " ").first
    }
    return states
  }
}

func shellQuoted(_ text: String) -> String {
  text.allSatisfy { $0.isLetter || $0.isNumber || "/._-=:,+".contains($0) }
    ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A short command (sbatch, squeue, sacct) and what it printed; not found is an error
/// that says what to install.
enum Command {
  static func run(_ arguments: [String]) throws -> (status: Int32, text: String) {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
      .map { "\($0)/\(arguments[0])" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let path else {
      throw AtelierError(
        "sweep: \(arguments[0]) is not on the PATH",
        hint: "on: \"slurm\" runs where Slurm's commands are (a login node)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = Array(arguments.dropFirst())
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data.prefix(1 << 20), as: UTF8.self))
  }
}
