import Foundation

/// How figures reach the screen at the prompt.
public enum GraphicsMode: Equatable {
  /// Characters: gnuplot's dumb terminal for curves and scatters, half-block cells for
  /// images and heatmaps, in colour when the terminal has it.
  case text
  /// DEC sixel graphics (gnuplot's `sixelgd`): xterm -ti vt340, mlterm, foot, WezTerm.
  case sixel
  /// The kitty graphics protocol (kitty, WezTerm, Ghostty): a PNG sent in base64 chunks.
  case kitty
  /// iTerm2's inline images (iTerm2, WezTerm): a PNG in one OSC 1337 sequence.
  case iterm
  /// A gnuplot window (qt, wxt or x11) when a display is set.
  case window(String)
  /// Whatever gnuplot terminal `$GNUTERM` names.
  case gnuplot(String)
  /// Figures are drawn only into files.
  case none

  /// The mode for this process: `$ATELIER_GRAPHICS` when set, else `$GNUTERM`, else a
  /// window when there is a display, else a protocol the terminal is known to speak
  /// (`$TERM`, `$TERM_PROGRAM`), else text.
  public static func detect(
    _ env: [String: String] = ProcessInfo.processInfo.environment, terminals: Set<String> = Gnuplot.terminals
  ) -> GraphicsMode {
    switch env["ATELIER_GRAPHICS"]?.lowercased() {
    case "text": return .text
    case "sixel": return .sixel
    case "kitty": return .kitty
    case "iterm": return .iterm
    case "none": return .none
    default: break
    }
    if let chosen = env["GNUTERM"], !chosen.isEmpty { return .gnuplot(chosen) }
    if env["DISPLAY"] != nil, let window = ["qt", "wxt", "x11"].first(where: terminals.contains) {
      return .window(window)
    }
    let term = env["TERM"] ?? "", program = env["TERM_PROGRAM"] ?? ""
    if term == "xterm-kitty" || env["KITTY_WINDOW_ID"] != nil || term == "xterm-ghostty" { return .kitty }
    if program == "iTerm.app" || program == "WezTerm" { return .iterm }
    if term.hasPrefix("mlterm") || term.hasPrefix("foot") || term.contains("sixel") { return .sixel }
    if let answer = terminalAnswer, answerListsSixel(answer), terminals.contains("sixelgd") { return .sixel }
    return .text
  }

  /// The terminal's answer to a device-attributes query, asked once when the prompt starts.
  nonisolated(unsafe) public static var terminalAnswer: String?

  /// Asks the terminal for its primary device attributes (`ESC [ c`) and waits at most
  /// `milliseconds` for the answer (`ESC [ ? 62 ; 4 ; 22 c`); nil when there is no
  /// terminal on both ends or it does not answer in time.
  public static func askTerminal(milliseconds: Int32 = 150) -> String? {
    guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { return nil }
    var saved = termios()
    guard tcgetattr(STDIN_FILENO, &saved) == 0 else { return nil }
    var raw = saved
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
    guard tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0 else { return nil }
    defer { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
    let query = Array("\u{1B}[c".utf8)
    guard write(STDOUT_FILENO, query, query.count) == query.count else { return nil }
    var answer: [UInt8] = []
    var waiting = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
    let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
    while answer.count < 64 {
      let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
      guard left > 0, poll(&waiting, 1, left) > 0 else { break }
      var byte: UInt8 = 0
      guard read(STDIN_FILENO, &byte, 1) == 1 else { break }
      answer.append(byte)
      if byte == UInt8(ascii: "c") { return String(decoding: answer, as: UTF8.self) }
    }
    return nil
  }

  /// Whether a device-attributes answer lists sixel graphics (attribute 4).
  public static func answerListsSixel(_ answer: String) -> Bool {
    guard let start = answer.firstIndex(of: "?"), let end = answer.lastIndex(of: "c"), start < end else { return false }
    return answer[answer.index(after: start)..<end].split(separator: ";").contains("4")
  }

  /// The setting's values, for messages and the README.
  public static let settingValues = ["text", "sixel", "kitty", "iterm", "none"]
}

/// Colours the terminal shows, from `$NO_COLOR`, `$COLORTERM` and `$TERM`.
public enum ColourDepth: Equatable {
  case none, palette256, trueColour

  public static func detect(_ env: [String: String] = ProcessInfo.processInfo.environment) -> ColourDepth {
    if env["NO_COLOR"] != nil { return .none }
    let term = env["TERM"] ?? ""
    if term.isEmpty || term == "dumb" { return .none }
    if let colour = env["COLORTERM"], colour == "truecolor" || colour == "24bit" { return .trueColour }
    return .palette256
  }
}

/// The terminal's size in characters: the window's when standard output is one, else
/// `$COLUMNS` and `$LINES`, else 100 × 32.
public struct TerminalSize: Equatable {
  public var columns: Int
  public var rows: Int

  public init(columns: Int, rows: Int) {
    self.columns = columns
    self.rows = rows
  }

  public static func detect(_ env: [String: String] = ProcessInfo.processInfo.environment, askWindow: Bool = true)
    -> TerminalSize
  {
    var window = winsize()
    if askWindow, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_col > 0, window.ws_row > 0 {
      return TerminalSize(columns: Int(window.ws_col), rows: Int(window.ws_row))
    }
    let columns = env["COLUMNS"].flatMap(Int.init) ?? 100, rows = env["LINES"].flatMap(Int.init) ?? 32
    return TerminalSize(columns: min(max(columns, 40), 1000), rows: min(max(rows, 12), 500))
  }
}

/// Escape sequences that carry a PNG to terminals with inline pictures.
public enum InlineImage {
  /// kitty: `ESC _G a=T,f=100,m=1;<base64> ESC \` in chunks of 4096 characters, the last with m=0.
  public static func kitty(_ png: Data) -> String {
    let encoded = Array(png.base64EncodedString().utf8)
    var out = ""
    var start = 0
    repeat {
      let end = min(start + 4096, encoded.count)
      let more = end < encoded.count ? 1 : 0
      let control = start == 0 ? "a=T,f=100,m=\(more)" : "m=\(more)"
      out += "\u{1B}_G\(control);" + String(decoding: encoded[start..<end], as: UTF8.self) + "\u{1B}\\"
      start = end
    } while start < encoded.count
    return out + "\n"
  }

  /// iTerm2: `ESC ] 1337 ; File=inline=1;size=N:<base64> BEL`.
  public static func iterm(_ png: Data) -> String {
    "\u{1B}]1337;File=inline=1;size=\(png.count);preserveAspectRatio=1:\(png.base64EncodedString())\u{07}\n"
  }
}
