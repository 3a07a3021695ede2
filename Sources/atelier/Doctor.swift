import ArgumentParser
import CKernel
import COpenBLAS
import Data
import Foundation
import Kernel
import Lang
import Plot
import Tensor

/// One line of `atelier doctor`: what was checked, what was found, and how to fix it.
struct Finding {
  enum State: String {
    case ok = "ok  "
    case missing = "FAIL"
    case note = "info"
  }
  let state: State
  let topic: String
  let found: String
  var fix: String?
}

/// What this installation found: the pieces `--version` reports and `doctor` checks.
enum Installation {
  static var openBLAS: String {
    let config = String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces)
    return config.hasPrefix("OpenBLAS ") ? String(config.dropFirst("OpenBLAS ".count)) : config
  }

  static var dataFolder: String { FashionMNIST.defaultDirectory }

  static var dataFound: Bool {
    [
      "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
      "t10k-labels-idx1-ubyte.gz",
    ]
    .allSatisfy { FileManager.default.fileExists(atPath: dataFolder + "/" + $0) }
  }

  /// The Debian package's version when the data come from it.
  static var dataVersion: String? {
    guard dataFolder == FashionMNIST.systemDirectory,
      let status = try? String(contentsOfFile: "/var/lib/dpkg/status", encoding: .utf8)
    else { return nil }
    guard
      let entry = status.components(separatedBy: "\n\n").first(where: {
        $0.hasPrefix("Package: dataset-fashion-mnist\n")
      })
    else { return nil }
    return entry.split(separator: "\n").first { $0.hasPrefix("Version: ") }.map { String($0.dropFirst(9)) }
  }

  static func versionReport() -> String {
    [
      "atelier \(AtelierVersion.number)",
      "kernel: " + String(cString: atl_isa_summary()),
      "OpenBLAS: \(openBLAS)",
      "gnuplot: " + (Gnuplot.version.map { "\($0) (\(Gnuplot.executable() ?? "?"))" } ?? "not found"),
      "Fashion-MNIST: "
        + (dataFound
          ? dataFolder + (dataVersion.map { " (dataset-fashion-mnist \($0))" } ?? "") : "not found in \(dataFolder)"),
      "stdlib: " + (StandardLibrary.locate() ?? "not found"),
    ].joined(separator: "\n")
  }

  /// Every check of `atelier doctor`, in the order printed.
  static func findings(environment: [String: String] = ProcessInfo.processInfo.environment) -> [Finding] {
    var list: [Finding] = []
    if let stdlib = StandardLibrary.locate() {
      list.append(Finding(state: .ok, topic: "stdlib", found: stdlib))
    } else {
      list.append(
        Finding(
          state: .missing, topic: "stdlib",
          found: "prelude.atl not in " + StandardLibrary.candidates().joined(separator: ", "),
          fix: "set ATELIER_STDLIB to the stdlib folder, or `make install` from the source tree"))
    }
    if let version = Gnuplot.version, let path = Gnuplot.executable() {
      list.append(Finding(state: .ok, topic: "gnuplot", found: "\(version) (\(path))"))
      for (terminal, use) in [("pngcairo", "figures saved as PNG"), ("svg", "SVG figures"), ("dumb", "text plots")] {
        let has = Gnuplot.terminals.contains(terminal)
        list.append(
          Finding(
            state: has ? .ok : .missing, topic: "  \(terminal)", found: has ? use : "this gnuplot lacks it",
            fix: has ? nil : "install gnuplot-nox (`sudo apt-get install gnuplot-nox`)"))
      }
      let sixel = Gnuplot.terminals.contains("sixelgd")
      list.append(
        Finding(
          state: .note, topic: "  sixelgd", found: sixel ? "sixel pictures in terminals that show them" : "absent",
          fix: sixel ? nil : "pictures at the prompt fall back to text"))
    } else {
      list.append(
        Finding(
          state: .missing, topic: "gnuplot", found: "not found on the PATH or at $ATELIER_GNUPLOT",
          fix: "`sudo apt-get install gnuplot-nox` (or `make setup`)"))
    }
    list.append(
      Finding(
        state: dataFound ? .ok : .missing, topic: "Fashion-MNIST",
        found: dataFound ? dataFolder : "the four IDX files are not in \(dataFolder)",
        fix: dataFound
          ? nil : "`sudo apt-get install dataset-fashion-mnist`, or set ATELIER_DATA to a folder holding them"))
    let threads = environment["ATELIER_THREADS"].map { "ATELIER_THREADS=\($0)" } ?? "all cores"
    list.append(
      Finding(
        state: .note, topic: "threads",
        found: "kernel \(atl_threads()) (\(threads)), OpenBLAS \(openblas_get_num_threads())"))
    list.append(Finding(state: .note, topic: "instructions", found: String(cString: atl_isa_summary())))
    list.append(Finding(state: .note, topic: "graphics", found: graphicsDescription(environment)))
    list.append(historyFinding(environment))
    list.append(kernelspecFinding(environment))
    return list
  }

  static func graphicsDescription(_ environment: [String: String]) -> String {
    let term = environment["TERM"].map { "TERM=\($0)" } ?? "no TERM"
    switch GraphicsMode.detect(environment) {
    case .text: return "text: half blocks and gnuplot's dumb terminal (\(term))"
    case .sixel: return "sixel (\(term))"
    case .kitty: return "kitty graphics protocol"
    case .iterm: return "iTerm2 inline images"
    case .window(let terminal): return "a window (\(terminal))"
    case .gnuplot(let terminal): return "gnuplot terminal \(terminal)"
    case .none: return "none (ATELIER_GRAPHICS=none)"
    }
  }

  static func historyFinding(_ environment: [String: String]) -> Finding {
    let path = (environment["HOME"] ?? ".") + "/.atelier_history"
    let fm = FileManager.default
    let writable =
      fm.fileExists(atPath: path)
      ? fm.isWritableFile(atPath: path) : fm.isWritableFile(atPath: (path as NSString).deletingLastPathComponent)
    return Finding(
      state: writable ? .ok : .missing, topic: "history", found: writable ? "\(path) writable" : "\(path) not writable",
      fix: writable ? nil : "make HOME a writable folder; the prompt keeps its history there")
  }

  /// The Atelier kernelspec Jupyter would find, and whether it starts an executable that exists.
  static func kernelspecFinding(_ environment: [String: String]) -> Finding {
    let folders =
      (environment["JUPYTER_PATH"]?.split(separator: ":").map { "\($0)/kernels/atelier" } ?? [])
      + [KernelSpec.folder(user: true, prefix: nil, environment: environment)]
      + ["/usr/local/share/jupyter/kernels/atelier", "/usr/share/jupyter/kernels/atelier"]
    for folder in folders {
      guard let data = FileManager.default.contents(atPath: folder + "/kernel.json") else { continue }
      let spec = JSONValue.decoded(data)
      guard case .array(let argv)? = spec?["argv"], let program = argv.first?.string,
        FileManager.default.isExecutableFile(atPath: program)
      else {
        return Finding(
          state: .missing, topic: "jupyter", found: "\(folder)/kernel.json starts no executable that exists",
          fix: "run `atelier kernel install` again with the same --user or --prefix")
      }
      return Finding(state: .ok, topic: "jupyter", found: "kernelspec \(folder) → \(program)")
    }
    return Finding(
      state: .note, topic: "jupyter", found: "no kernelspec installed",
      fix: "`atelier kernel install --user` makes Atelier a Jupyter kernel")
  }
}

struct DoctorCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract:
      "Check that gnuplot, the data set, the library, threads and graphics are set up; say how to fix what is not."
  )

  func run() throws {
    let findings = Installation.findings()
    let width = findings.map(\.topic.count).max() ?? 0
    for finding in findings {
      print(
        "\(finding.state.rawValue)  \(finding.topic.padding(toLength: width, withPad: " ", startingAt: 0))  \(finding.found)"
      )
      if let fix = finding.fix { print(String(repeating: " ", count: width + 8) + "→ " + fix) }
    }
    let missing = findings.filter { $0.state == .missing }
    print(missing.isEmpty ? "\nAtelier is ready." : "\n\(missing.count) thing(s) to fix before Atelier works fully.")
    if !missing.isEmpty { throw ExitCode(1) }
  }
}
