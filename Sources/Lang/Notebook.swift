import CKernel
import Foundation
import Tensor

/// What one top-level statement of a replayed notebook did.
public struct StatementRecord {
  /// The notebook line the statement starts on.
  public var firstLine = 1
  public let source: String
  public let output: String
  public let files: [String]
  public let error: String?
  /// Restored from the replay cache instead of run; `seconds` is then the time it saved.
  public var cached = false
  public var seconds = 0.0
}

/// Replays a notebook statement by statement, keeping each statement's output
/// and the files it wrote, for `atelier run --report`. With a cache, expensive
/// statements whose inputs are unchanged are restored instead of run.
public enum NotebookRunner {
  /// Runs every statement; stops at the first error, which is recorded and rethrown.
  public static func replay(
    _ file: SourceFile, in interpreter: Interpreter, records: inout [StatementRecord], cache: ReplayCache? = nil
  ) throws {
    let program = try interpreter.prepare(file)
    let echo = interpreter.write
    defer { interpreter.write = echo }
    let cached = cache.map { CachedStatements(cache: $0, interpreter: interpreter) }
    for item in program {
      var captured = ""
      let source = (item.firstLine...item.lastLine).compactMap { file.line($0) }.joined(separator: "\n")
      let key = cached?.key(for: item.statement, source: source)
      if let key, let cached, let restored = try cached.restore(key.key) {
        echo(restored.output)
        echo(String(format: "(cached: %.1f s saved)\n", restored.seconds))
        records.append(
          StatementRecord(
            firstLine: item.firstLine, source: source, output: restored.output,
            files: interpreter.takeProducedFiles(), error: nil, cached: true, seconds: restored.seconds))
        continue
      }
      interpreter.write = { text in
        captured += text
        echo(text)
      }
      let start = Date()
      let interrupts = atl_interrupt_count()
      let touched = cached?.touched(by: key)
      do {
        try interpreter.runTopLevel(item.statement, showValues: true)
        // Before storing: what it changed must not keep a digest from before.
        cached?.ran(touching: touched)
        let seconds = Date().timeIntervalSince(start)
        let files = interpreter.takeProducedFiles()
        if let key, let cached, seconds >= cached.cache.threshold, atl_interrupt_count() == interrupts {
          cached.store(key, output: captured, files: files, seconds: seconds)
        }
        records.append(
          StatementRecord(
            firstLine: item.firstLine, source: source, output: captured, files: files, error: nil, seconds: seconds))
      } catch {
        cached?.ran(touching: touched)
        records.append(
          StatementRecord(
            firstLine: item.firstLine, source: source, output: captured, files: interpreter.takeProducedFiles(),
            error: "\(error)"))
        throw error
      }
    }
  }
}

/// A replayed notebook as Markdown: each statement, its output and links to its figures.
public enum Report {
  public static func markdown(notebook: String, records: [StatementRecord], reportPath: String, seconds: Double)
    -> String
  {
    let reportFolder = URL(fileURLWithPath: reportPath).deletingLastPathComponent().standardizedFileURL.path
    var text = "# \(URL(fileURLWithPath: notebook).lastPathComponent)\n\n"
    text +=
      "Replayed with `atelier run \(notebook)` (Atelier \(AtelierVersion.number)) in \(String(format: "%.1f", seconds)) s"
    text += records.contains { $0.error != nil } ? "; it stopped at an error.\n" : ".\n"
    let restored = records.filter(\.cached)
    if !restored.isEmpty {
      text += String(
        format: "\n*(cached: %d of %d statements restored from the cache, %.1f s saved)*\n", restored.count,
        records.count, restored.reduce(0) { $0 + $1.seconds })
    }
    for record in records {
      text += "\n```atelier\n\(record.source)\n```\n"
      if record.cached { text += String(format: "\n*(cached: %.1f s saved)*\n", record.seconds) }
      let output = record.output.replacingOccurrences(of: "\r", with: "\n").trimmingCharacters(in: .newlines)
      if !output.isEmpty { text += "\n```\n\(output)\n```\n" }
      for file in record.files {
        let relative = relativePath(file, from: reportFolder)
        let isImage = ["png", "svg"].contains(URL(fileURLWithPath: file).pathExtension.lowercased())
        text +=
          isImage
          ? "\n![\(URL(fileURLWithPath: file).lastPathComponent)](\(relative))\n" : "\n[\(relative)](\(relative))\n"
      }
      if let error = record.error { text += "\n**Error**\n\n```\n\(error)\n```\n" }
    }
    return text
  }

  static func relativePath(_ path: String, from folder: String) -> String {
    let target = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
    let base = URL(fileURLWithPath: folder).standardizedFileURL.pathComponents
    var common = 0
    while common < min(target.count, base.count), target[common] == base[common] { common += 1 }
    let ups = Array(repeating: "..", count: base.count - common)
    return (ups + target[common...]).joined(separator: "/")
  }
}

/// Where the language's own library (`prelude.atl`, models, experiments) lives.
public enum StandardLibrary {
  /// The folders looked in, in order: `$ATELIER_STDLIB`, then `../share/atelier/stdlib`
  /// beside the executable (an installed Atelier), then a `stdlib/` in a folder above
  /// the executable (a build in the source tree).
  public static func candidates(
    environment: [String: String] = ProcessInfo.processInfo.environment, executable: String = executablePath()
  ) -> [String] {
    if let folder = environment["ATELIER_STDLIB"] { return [folder] }
    let binFolder = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
    var folders = [binFolder.deletingLastPathComponent().appendingPathComponent("share/atelier/stdlib").path]
    var folder = binFolder
    for _ in 0..<5 {
      folders.append(folder.appendingPathComponent("stdlib").path)
      folder = folder.deletingLastPathComponent()
    }
    return folders
  }

  public static func locate() -> String? {
    candidates().first { FileManager.default.fileExists(atPath: $0 + "/prelude.atl") }
  }

  /// The running executable, resolved (a name found on the PATH is not a path).
  public static func executablePath() -> String {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
  }

  /// Said once, at start, when no folder holds the library.
  public static func missingWarning() -> String {
    "warning: Atelier's standard library (prelude.atl) was not found; looked in:\n"
      + candidates().map { "  \($0)" }.joined(separator: "\n")
      + "\nlibrary models such as lenet5() are not defined; set ATELIER_STDLIB to the stdlib folder"
      + " or reinstall with `make install`"
  }

  /// Makes `use` find the library and loads the prelude; without one, warns on stderr.
  public static func prepare(_ interpreter: Interpreter, warn: (String) -> Void = StandardLibrary.warnOnStandardError)
    throws
  {
    guard let folder = locate() else {
      warn(missingWarning())
      return
    }
    interpreter.libraryPaths.append(folder)
    let prelude = URL(fileURLWithPath: folder).appendingPathComponent("prelude.atl").path
    guard let text = try? String(contentsOfFile: prelude, encoding: .utf8) else { return }
    try interpreter.run(SourceFile(name: prelude, text: text), showValues: false)
  }

  /// Whether a function comes from the library (it reads no notebook's variables).
  static func isLibrary(_ function: UserFunction) -> Bool {
    guard let folder = locate() else { return false }
    let library = URL(fileURLWithPath: folder).standardizedFileURL.path + "/"
    return URL(fileURLWithPath: function.declaration.location.file.name).standardizedFileURL.path.hasPrefix(library)
  }

  public static func warnOnStandardError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }
}
