import NN
import Plot
import Tensor

/// What a builtin may use of the running session: its output, its generator and
/// settings, the training state of models, the tape, and the figures it writes. A
/// builtin cannot reach the interpreter's scopes, call stack or loaded files.
protocol Session: AnyObject {
  /// Where `print`, shown values and progress go.
  var write: (String) -> Void { get }
  /// Whether output is an interactive terminal (live progress bars).
  var isTerminal: Bool { get }
  /// Seeds parameter initialisation; `seed n` resets it.
  var rng: RandomSource { get set }
  /// Values given on the command line (`--set quick=true`).
  var settings: [String: Value] { get }
  /// Models switched to training mode by `train_mode`.
  var trainingModels: IdentityMap<AnyObject, Bool> { get set }
  /// What the statement computes, for `step(opt, loss)`.
  var tape: Tape { get }
  /// Where figures of a replayed notebook go.
  var outputDirectory: String? { get }
  /// Whether figures keep their gnuplot script and data beside them (`--keep-scripts`).
  var keepScripts: Bool { get }
  /// Where `result(…)` writes a sweep run's metrics (`atelier run --result`).
  var resultPath: String? { get }
  /// Shows a figure where the session is seen (a notebook front end), instead of the terminal.
  var displayFigure: ((Figure) throws -> Void)? { get }
  /// `<output folder>/<n>-<title>.png` for a figure drawn without `to:`.
  func nextFigurePath(_ title: String) -> String
  /// Records a file written, for reports.
  func recordProducedFile(_ path: String)
  /// A value as a condition (`if`, `filter`).
  func truth(_ value: Value, at location: SourceLocation) throws -> Bool
  func callFunction(
    _ callee: Value, positional: [Value], named: [(String, Value)], block: [Value]?, at location: SourceLocation
  ) throws -> Value
}

extension Interpreter: Session {
  func recordProducedFile(_ path: String) { producedFiles.append(path) }
}
