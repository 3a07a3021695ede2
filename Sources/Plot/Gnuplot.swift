import Foundation
import Tensor

/// A problem drawing a figure, with how to fix it.
public struct PlotError: UserError {
  public let message: String
  public let hint: String?
  public var description: String { message }
  public var userMessage: String { message }

  public init(_ message: String, hint: String? = nil) {
    self.message = message
    self.hint = hint
  }
}

/// One gnuplot process per figure, fed its script through a pipe.
public enum Gnuplot {
  /// `$ATELIER_GNUPLOT`, or gnuplot on the PATH.
  public static func executable() -> String? {
    let env = ProcessInfo.processInfo.environment
    if let given = env["ATELIER_GNUPLOT"] { return FileManager.default.isExecutableFile(atPath: given) ? given : nil }
    for folder in (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
      let path = "\(folder)/gnuplot"
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
  }

  static let missing = PlotError(
    "gnuplot is not installed, so the figure cannot be drawn",
    hint:
      "install it with `sudo apt-get install gnuplot-nox` (or `make setup`); save(value, \"file.csv\") still writes the data"
  )

  /// The terminals this gnuplot offers (GPVAL_TERMINALS), asked once.
  public static let terminals: Set<String> = {
    guard let output = try? run(script: "print GPVAL_TERMINALS\n", timeout: 10).stderr else { return [] }
    return Set(output.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
  }()

  /// `5.4 patchlevel 4`, or nil without a working gnuplot.
  public static let version: String? = {
    guard
      let output = try? run(
        script: "print sprintf(\"%g patchlevel %s\", GPVAL_VERSION, GPVAL_PATCHLEVEL)\n", timeout: 10
      ).stderr
    else { return nil }
    let line = output.trimmingCharacters(in: .whitespacesAndNewlines)
    return line.isEmpty ? nil : line
  }()

  /// Runs a script; a gnuplot that does not finish in `timeout` seconds is stopped.
  @discardableResult
  public static func run(script: String, timeout: Double = 60, executable chosen: String? = nil) throws -> (
    stdout: String, stderr: String
  ) {
    guard let path = chosen ?? executable(), FileManager.default.isExecutableFile(atPath: path) else { throw missing }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    let input = Pipe(), output = Pipe(), errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    do {
      try process.run()
    } catch {
      throw PlotError("gnuplot could not be started (\(error.localizedDescription))", hint: missing.hint)
    }
    // Read both pipes while gnuplot runs so that a full pipe never blocks it.
    final class Collected: @unchecked Sendable {
      var out = Data()
      var err = Data()
    }
    let collected = Collected()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      collected.out = output.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    group.enter()
    DispatchQueue.global().async {
      collected.err = errors.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    input.fileHandleForWriting.write(Data((script + "\nexit\n").utf8))
    try? input.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning {
      process.terminate()
      throw PlotError("gnuplot did not finish within \(Int(timeout)) s and was stopped")
    }
    group.wait()
    let stderr = String(decoding: collected.err, as: UTF8.self)
    if process.terminationStatus != 0 {
      throw PlotError("gnuplot failed: \(stderr.split(separator: "\n").suffix(3).joined(separator: " "))")
    }
    return (String(decoding: collected.out, as: UTF8.self), stderr)
  }
}
