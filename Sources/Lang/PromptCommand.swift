import Foundation

/// The `:` commands of the prompt, also understood as a whole notebook cell in Jupyter.
public enum PromptCommand: Equatable {
  case help(String?)
  case vars
  case time(String)
  case load(String)
  case save(String)
  /// `:cache` lists the replay cache, `:cache clear` empties it.
  case cache(String)
  case quit
  case unknown(String)

  public static let summary = ":help [name], :vars, :time stmt, :load file, :save file, :cache [clear], :quit"

  /// The command an entry spells, or nil when the entry is not a `:` command.
  public static func parse(_ entry: String) -> PromptCommand? {
    let text = entry.trimmingCharacters(in: .whitespacesAndNewlines)
    guard text.hasPrefix(":") else { return nil }
    let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
    let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
    switch parts[0] {
    case ":quit", ":q", ":exit": return .quit
    case ":vars": return .vars
    case ":help": return .help(argument.isEmpty ? nil : argument)
    case ":time": return .time(argument)
    case ":load": return .load(argument)
    case ":save": return .save(argument)
    case ":cache": return .cache(argument)
    default: return .unknown(parts[0])
    }
  }

  /// `:vars`: the session's variables and the functions the user wrote, one line each.
  public static func variables(of interpreter: Interpreter) -> String {
    let rows = interpreter.globals.filter { !$0.value.isCallable || isUserFunction($0.value) }
      .sorted { $0.key < $1.key }
      .map { [$0.key, $0.value.typeName, Printer.brief($0.value)] }
    return rows.isEmpty ? "no variables yet" : Printer.table([["name", "type", "value"]] + rows)
  }

  /// Functions the user wrote, not those of the standard library.
  static func isUserFunction(_ value: Value) -> Bool {
    guard case .function(let f) = value else { return false }
    return !StandardLibrary.isLibrary(f)
  }
}
