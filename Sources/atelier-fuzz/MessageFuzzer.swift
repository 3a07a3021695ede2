import Foundation
import Kernel
import Lang

/// Messages a Jupyter client (or anyone who reaches the kernel's ports) might send:
/// valid requests, mutated by bit flips, truncation, frames dropped or repeated, fields
/// of other types, huge and negative cursors, deep nesting and odd Unicode. Each is
/// parsed and signature-checked; the accepted ones are answered as the kernel answers
/// them (completion, help, completeness). Nothing may crash or hang.
struct MessageFuzzer {
  let watchdog: Watchdog

  static let codes = [
    "x = tsne(f, perp", "data.tr", "net = model {\n  conv 6, 5", "fit(", "\"Tests/Fix", "é🎉 = 1; y = catal",
    "", ")))]]]", String(repeating: "(", count: 5000), "print \"unterminated",
  ]

  func run(count: Int) -> [String] {
    var failures: [String] = []
    var g = Generator(state: 17)
    let interpreter = Interpreter(write: { _ in })
    guard let sender = try? MessageSigner(key: "fuzz-key") else { return ["no signer"] }
    for n in 0..<count {
      var frames = sender.frames(for: request(&g))
      mutate(&frames, &g)
      let label = "message \(n)"
      watchdog.run(label, input: Data(frames.map { $0.base64EncodedString() }.joined(separator: "\n").utf8)) {
        // A fresh receiver each time: replayed signatures are refused by design.
        guard let receiver = try? MessageSigner(key: "fuzz-key") else { return }
        guard let message = try? receiver.message(from: frames) else { return }
        let code = message.content["code"]?.string ?? ""
        let cursor = message.content["cursor_pos"]?.int ?? 0
        switch message.type {
        case "complete_request": _ = KernelReplies.completion(code: code, cursor: cursor, interpreter: interpreter)
        case "inspect_request": _ = KernelReplies.inspection(code: code, cursor: cursor, interpreter: interpreter)
        case "is_complete_request": _ = KernelReplies.completeness(code: code)
        default: _ = message.content.encoded()
        }
      }
    }
    // Nesting deeper than any decoder recursion must be refused, not overflow the stack.
    for depth in [1_000, 100_000] {
      let nested = Data((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
      var frames = sender.frames(for: WireMessage(header: ["msg_type": "execute_request"]))
      frames[frames.count - 1] = nested
      watchdog.run("nesting \(depth)", input: nested) {
        if (try? MessageSigner(key: "").message(from: frames)) != nil {
          failures.append("a content frame nested \(depth) deep was taken for an object")
        }
      }
    }
    print("messages: \(count) mutated kernel messages")
    return failures
  }

  func request(_ g: inout Generator) -> WireMessage {
    let type = g.pick([
      "complete_request", "inspect_request", "is_complete_request", "execute_request", "kernel_info_request",
    ])
    let cursor = g.pick([0, 3, -1, 7, 1 << 40, Int.max / 2, -(1 << 62)])
    var content: JSONValue = ["code": .string(g.pick(MessageFuzzer.codes)), "cursor_pos": .number(Double(cursor))]
    if g.chance(4) {
      content = ["code": g.pick([.number(1e308), .null, .bool(true), .array([]), [:]]), "cursor_pos": "x"]
    }
    return WireMessage(
      identities: [Data("client".utf8)], header: ["msg_type": .string(type), "msg_id": "1", "session": "s"],
      content: content)
  }

  func mutate(_ frames: inout [Data], _ g: inout Generator) {
    switch g.below(6) {
    case 0:
      let i = g.below(frames.count)
      var bytes = [UInt8](frames[i])
      if !bytes.isEmpty { bytes[g.below(bytes.count)] ^= UInt8(1 << g.below(8)) }
      frames[i] = Data(bytes)
    case 1:
      let i = g.below(frames.count)
      frames[i] = frames[i].prefix(g.below(frames[i].count + 1))
    case 2: frames.remove(at: g.below(frames.count))
    case 3: frames.insert(frames[g.below(frames.count)], at: g.below(frames.count))
    case 4: frames = Array(frames.prefix(g.below(frames.count + 1)))
    default: break  // valid, signed: answered in full
    }
  }
}
