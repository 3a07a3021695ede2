import Data
import Foundation
import Lang
import Plot

/// The kernelspec Jupyter finds Atelier by: `kernel.json` (how to start the kernel)
/// and the logos front ends show in their launchers.
public enum KernelSpec {
  public static let name = "atelier"

  /// `<prefix>/share/jupyter/kernels/atelier`, or the user's Jupyter data folder.
  public static func folder(
    user: Bool, prefix: String?, environment: [String: String] = ProcessInfo.processInfo.environment
  )
    -> String
  {
    let base: String
    if let prefix {
      base = prefix + "/share/jupyter"
    } else if user {
      if let data = environment["JUPYTER_DATA_DIR"] {
        base = data
      } else {
        let dataHome = environment["XDG_DATA_HOME"] ?? ((environment["HOME"] ?? ".") + "/.local/share")
        base = dataHome + "/jupyter"
      }
    } else {
      base = "/usr/local/share/jupyter"
    }
    return base + "/kernels/" + name
  }

  public static func json(executable: String, figureFormats: [String]) -> JSONValue {
    var argv: [JSONValue] = [.string(executable), "kernel"]
    if figureFormats != ["png"] { argv += ["--figures", .string(figureFormats.joined(separator: ","))] }
    argv += ["--connection-file", "{connection_file}"]
    return [
      "argv": .array(argv), "display_name": "Atelier", "language": "atelier",
      // Jupyter sends SIGINT, which Atelier's running fit or tsne already answers.
      "interrupt_mode": "signal", "metadata": ["debugger": false],
    ]
  }

  /// Writes the kernelspec into `folder`; returns the files written.
  @discardableResult
  public static func install(into folder: String, executable: String, figureFormats: [String]) throws -> [String] {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let kernelJSON = folder + "/kernel.json"
    try AtomicFile.write(
      String(decoding: try encoder.encode(json(executable: executable, figureFormats: figureFormats)), as: UTF8.self)
        + "\n", to: kernelJSON)
    var written = [kernelJSON]
    for size in [32, 64] {
      let path = folder + "/logo-\(size)x\(size).png"
      try drawLogo(size: size, to: path)
      written.append(path)
    }
    return written
  }

  /// The logo: a letter A drawn as an 8×8 image, the kind of picture Atelier explores.
  static func drawLogo(size: Int, to path: String) throws {
    let rows = [
      "00000000", "00111100", "01100110", "01100110", "01111110", "01100110", "01100110", "00000000",
    ]
    // gnuplot draws matrix rows from the bottom up.
    let matrix = rows.reversed().map { $0.map { $0 == "1" ? "1" : "0" }.joined(separator: " ") }.joined(separator: "\n")
    let script = """
      set terminal pngcairo size \(size),\(size)
      set output \(Script.quoted(path))
      unset border; unset tics; unset key; unset colorbox
      set margins 0,0,0,0
      set xrange [-0.5:7.5]; set yrange [-0.5:7.5]
      set palette defined (0 '#1d3557', 1 '#f4a261')
      plot '-' matrix with image
      \(matrix)
      e
      unset output

      """
    try Gnuplot.run(script: script)
  }
}
