import ArgumentParser
import Foundation
import Kernel
import Lang

struct KernelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kernel", abstract: "Run Atelier as a Jupyter kernel, or install its kernelspec.",
    subcommands: [KernelServe.self, KernelInstall.self], defaultSubcommand: KernelServe.self)
}

/// Formats figures are sent in: `png`, `svg` or both, from --figures or $ATELIER_FIGURES.
func figureFormats(_ given: String?) throws -> [String] {
  let text = given ?? ProcessInfo.processInfo.environment["ATELIER_FIGURES"] ?? "png"
  let formats = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
  guard !formats.isEmpty, formats.allSatisfy({ ["png", "svg"].contains($0) }) else {
    throw ValidationError("--figures takes png, svg or png,svg (got \(text))")
  }
  return formats
}

struct KernelServe: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve", abstract: "Serve the Jupyter protocol (what the kernelspec starts).")

  @Option(help: "The connection file Jupyter wrote (ports, ip, key).") var connectionFile: String
  @Option(help: "Figure formats sent to the front end: png, svg or png,svg (default $ATELIER_FIGURES or png).")
  var figures: String?

  func run() throws {
    let log = { (text: String) in FileHandle.standardError.write(Data("atelier kernel: \(text)\n".utf8)) }
    do {
      let connection = try ConnectionInfo.read(connectionFile)
      let interpreter = try makeInterpreter()
      let kernel = try JupyterKernel(
        connection: connection, interpreter: interpreter,
        options: .init(version: atelierVersion, figureFormats: try figureFormats(figures), log: log))
      kernel.serve()
    } catch let error as ValidationError {
      throw error
    } catch {
      log("\(error)")
      throw ExitCode(1)
    }
  }
}

struct KernelInstall: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "install", abstract: "Install the kernelspec, so that Jupyter lists Atelier.")

  @Flag(help: "Into your own Jupyter data folder (~/.local/share/jupyter).") var user = false
  @Option(help: "Into PREFIX/share/jupyter (a virtual environment, a conda environment).") var prefix: String?
  @Option(help: "Figure formats the kernel sends: png, svg or png,svg.") var figures: String?

  func run() throws {
    let folder = KernelSpec.folder(user: user, prefix: prefix)
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    do {
      try KernelSpec.install(into: folder, executable: executable, figureFormats: try figureFormats(figures))
    } catch let error as ValidationError {
      throw error
    } catch {
      printError(KernelError("cannot install the kernelspec into \(folder): \(error)"))
      throw ExitCode(1)
    }
    print("installed the Atelier kernelspec in \(folder)")
    print("`jupyter kernelspec list` shows it; choose \"Atelier\" as a notebook's kernel.")
  }
}
