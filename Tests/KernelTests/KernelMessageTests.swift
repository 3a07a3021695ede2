import Foundation
import Testing

@testable import Kernel
@testable import Lang

/// The kernel's side of the wire: signatures as Jupyter computes them, refused
/// messages, and the replies that only look at the session.
@Suite struct KernelMessageTests {
  @Test func signaturesAreTheHMACJupyterComputes() throws {
    let signer = try MessageSigner(key: "secret")
    // Python: hmac.new(b"secret", b'{"a":1}' b"{}" b"{}" b'{"code":"x"}', hashlib.sha256).hexdigest()
    let frames = [#"{"a":1}"#, "{}", "{}", #"{"code":"x"}"#].map { Data($0.utf8) }
    #expect(signer.signature(frames) == "a429a57c76bba89b4949b7629a9be2c46105a15cef7dc5002a0a4d085cb144c4")
  }

  @Test func aSignedMessageReadsBackAndATamperedOneIsRefused() throws {
    let sender = try MessageSigner(key: "k3y")
    let receiver = try MessageSigner(key: "k3y")
    let message = WireMessage(
      identities: [Data("client".utf8)], header: ["msg_type": "execute_request", "msg_id": "1"],
      content: ["code": "print 1"])
    let frames = sender.frames(for: message)
    let read = try receiver.message(from: frames)
    #expect(read.type == "execute_request" && read.content["code"] == "print 1")
    #expect(read.identities == [Data("client".utf8)])
    // The same bytes again are a replay.
    #expect(throws: WireError.replayedSignature) { try receiver.message(from: frames) }
    var tampered = sender.frames(for: message)
    tampered[tampered.count - 1] = Data(#"{"code":"print 2"}"#.utf8)
    #expect(throws: WireError.badSignature) { try receiver.message(from: tampered) }
    let stranger = try MessageSigner(key: "other")
    #expect(throws: WireError.badSignature) { try receiver.message(from: stranger.frames(for: message)) }
    #expect(throws: WireError.noDelimiter) { try receiver.message(from: [Data("x".utf8)]) }
    #expect(throws: WireError.missingFrames) { try receiver.message(from: [WireMessage.delimiter, Data()]) }
  }

  @Test func repliesCompleteHelpAndJudgeCells() throws {
    let interpreter = Interpreter(write: { _ in })
    try interpreter.run(SourceFile(name: "t", text: "catalogue = 3\n"))
    let completion = KernelReplies.completion(code: "x = catal", cursor: 9, interpreter: interpreter)
    #expect(completion["matches"] == ["catalogue"])
    #expect(completion["cursor_start"]?.int == 4 && completion["cursor_end"]?.int == 9)
    // Positions count Unicode scalars, as the protocol does (not UTF-16 units or bytes).
    let wide = "s = \"é🎉\"; y = catal"
    let after = KernelReplies.completion(code: wide, cursor: 19, interpreter: interpreter)
    #expect(after["matches"] == ["catalogue"])
    #expect(after["cursor_start"]?.int == 14 && after["cursor_end"]?.int == 19)
    // Named arguments of the call being typed come first.
    let named = KernelReplies.completion(code: "tsne(f, perp", cursor: 12, interpreter: interpreter)
    #expect(named["matches"] == ["perplexity:"])
    let help = KernelReplies.inspection(code: "fit(net, data, ", cursor: 15, interpreter: interpreter)
    #expect(help["found"] == true)
    #expect(help["data"]?["text/plain"]?.string?.hasPrefix("fit(") == true)
    #expect(KernelReplies.inspection(code: "zzz", cursor: 1, interpreter: interpreter)["found"] == false)
    #expect(KernelReplies.completeness(code: "net = model {\n  dense 10")["status"] == "incomplete")
    #expect(KernelReplies.completeness(code: "x = [1, 2]")["status"] == "complete")
    #expect(KernelReplies.completeness(code: "x = 1)")["status"] == "invalid")
  }

  @Test func pathsCompleteInsideStrings() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-paths-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent("images"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try Data().write(to: folder.appendingPathComponent("imagenet.csv"))
    let code = "d = idx(\"\(folder.path)/ima"
    let reply = KernelReplies.completion(
      code: code, cursor: code.unicodeScalars.count, interpreter: Interpreter(write: { _ in }))
    #expect(reply["matches"] == [.string(folder.path + "/imagenet.csv"), .string(folder.path + "/images/")])
  }
}
