/// An error a user caused and can fix: what went wrong, and how to put it right.
/// Every layer of Atelier throws these; the language adds where in the notebook.
public protocol UserError: Error, CustomStringConvertible {
  /// The complete message as the user reads it.
  var userMessage: String { get }
  var hint: String? { get }
}
