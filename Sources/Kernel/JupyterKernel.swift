import CKernel
import Foundation
import Lang
import Plot

/// An Atelier session behind the Jupyter messaging protocol (5.3): cells run in one
/// interpreter, as entries at the prompt do, with their printed text, values, figures
/// and errors sent to the front end.
public final class JupyterKernel {
  public struct Options {
    public var version: String
    /// Formats each figure is sent in: "png", and "svg" when asked.
    public var figureFormats: [String]
    public var log: (String) -> Void

    public init(version: String, figureFormats: [String] = ["png"], log: @escaping (String) -> Void) {
      self.version = version
      self.figureFormats = figureFormats
      self.log = log
    }
  }

  let interpreter: Interpreter
  let options: Options
  private let channels: KernelChannels
  private let signer: MessageSigner
  private let signerLock = NSLock()
  private let session = UUID().uuidString
  private var executionCount = 0

  public init(connection: ConnectionInfo, interpreter: Interpreter, options: Options) throws {
    self.interpreter = interpreter
    self.options = options
    signer = try MessageSigner(key: connection.key, scheme: connection.signature_scheme)
    channels = try KernelChannels(connection)
    // Progress redraws its line with a carriage return, which notebooks honour.
    interpreter.isTerminal = true
  }

  /// Serves until a shutdown request ends the process.
  public func serve() -> Never {
    channels.startHeartbeat()
    let control = channels.control
    Thread.detachNewThread { [self] in
      while true {
        if let frames = control.receive() { handle(frames, on: control, channel: "control") }
      }
    }
    publishStatus("starting", parent: [:])
    options.log("listening (protocol 5.3, session \(session))")
    while true {
      if let frames = channels.shell.receive() { handle(frames, on: channels.shell, channel: "shell") }
    }
  }

  // MARK: messages

  private func handle(_ frames: [Data], on socket: ZmqSocket, channel: String) {
    if let request = accepted(frames, channel: channel) { handle(request, on: socket, channel: channel) }
  }

  /// The message, when its signature is good; a refused one is logged, never run.
  private func accepted(_ frames: [Data], channel: String) -> WireMessage? {
    signerLock.lock()
    defer { signerLock.unlock() }
    do {
      return try signer.message(from: frames)
    } catch {
      options.log("rejected a message on \(channel): \(error); it was not run")
      return nil
    }
  }

  /// Requests the control channel serves: it runs beside a cell, so it never touches
  /// the session.
  private static let controlRequests: Set<String> = ["kernel_info_request", "interrupt_request", "shutdown_request"]

  private func handle(_ request: WireMessage, on socket: ZmqSocket, channel: String) {
    if channel == "control", !JupyterKernel.controlRequests.contains(request.type) {
      options.log("ignored a \(request.type) on control: control serves kernel_info, interrupt and shutdown")
      return
    }
    publishStatus("busy", parent: request.header)
    let queuedAtFailure = dispatch(request, on: socket)
    publishStatus("idle", parent: request.header)
    abort(queuedAtFailure, on: socket)
  }

  /// Answers one request; after a failed cell, the requests that were already queued
  /// behind it when it failed.
  private func dispatch(_ request: WireMessage, on socket: ZmqSocket) -> [WireMessage] {
    let content = request.content
    switch request.type {
    case "kernel_info_request":
      reply(to: request, on: socket, KernelReplies.kernelInfo(version: options.version))
    case "execute_request":
      let outcome = execute(request)
      let silent = content["silent"]?.bool ?? false
      let stops = outcome["status"] == "error" && !silent && content["stop_on_error"]?.bool ?? true
      // Taken off the socket before the reply goes out: a cell the client sends once it
      // has seen the failure is not one of them, and runs.
      let queued = stops ? queuedRequests(on: socket) : []
      reply(to: request, on: socket, outcome)
      return queued
    case "complete_request":
      reply(
        to: request, on: socket,
        KernelReplies.completion(
          code: content["code"]?.string ?? "", cursor: content["cursor_pos"]?.int ?? 0, interpreter: interpreter))
    case "inspect_request":
      reply(
        to: request, on: socket,
        KernelReplies.inspection(
          code: content["code"]?.string ?? "", cursor: content["cursor_pos"]?.int ?? 0, interpreter: interpreter))
    case "is_complete_request":
      reply(to: request, on: socket, KernelReplies.completeness(code: content["code"]?.string ?? ""))
    case "comm_info_request":
      reply(to: request, on: socket, ["status": "ok", "comms": [:]])
    case "history_request":
      reply(to: request, on: socket, ["status": "ok", "history": []])
    case "interrupt_request":
      atl_interrupt_raise()
      reply(to: request, on: socket, ["status": "ok"])
    case "shutdown_request":
      let restart = content["restart"]?.bool ?? false
      reply(to: request, on: socket, ["status": "ok", "restart": .bool(restart)])
      publishStatus("idle", parent: request.header)
      options.log("shutting down")
      // zmq_send only queues: give the I/O thread a moment to deliver the reply.
      usleep(200_000)
      exit(0)
    default:
      options.log("ignored a \(request.type)")
    }
    return []
  }

  private func queuedRequests(on socket: ZmqSocket) -> [WireMessage] {
    var queued: [WireMessage] = []
    while let frames = socket.receive(waiting: false) {
      if let request = accepted(frames, channel: "shell") { queued.append(request) }
    }
    return queued
  }

  /// After a failed cell, the cells already sent after it (Run All) are answered
  /// `aborted` instead of running on a session the failure left behind; anything
  /// else queued is served as usual.
  private func abort(_ queued: [WireMessage], on socket: ZmqSocket) {
    for request in queued {
      guard request.type == "execute_request" else {
        handle(request, on: socket, channel: "shell")
        continue
      }
      publishStatus("busy", parent: request.header)
      reply(to: request, on: socket, ["status": "aborted", "execution_count": .number(Double(executionCount))])
      publishStatus("idle", parent: request.header)
    }
  }

  private func header(_ type: String) -> JSONValue {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return [
      "msg_id": .string(UUID().uuidString), "session": .string(session), "username": "atelier",
      "date": .string(formatter.string(from: Date())), "msg_type": .string(type), "version": "5.3",
    ]
  }

  private func frames(_ message: WireMessage) -> [Data] {
    signerLock.lock()
    defer { signerLock.unlock() }
    return signer.frames(for: message)
  }

  private func reply(to request: WireMessage, on socket: ZmqSocket, _ content: JSONValue) {
    let type = request.type.replacingOccurrences(of: "_request", with: "_reply")
    let message = WireMessage(
      identities: request.identities, header: header(type), parentHeader: request.header, content: content)
    socket.send(frames(message))
  }

  func publish(_ type: String, parent: JSONValue, _ content: JSONValue, metadata: JSONValue = [:]) {
    var message = WireMessage(
      identities: [Data("kernel.\(session).\(type)".utf8)], header: header(type), parentHeader: parent,
      content: content)
    message.metadata = metadata
    channels.publish(frames(message))
  }

  private func publishStatus(_ state: String, parent: JSONValue) {
    publish("status", parent: parent, ["execution_state": .string(state)])
  }

  // MARK: running cells

  private func execute(_ request: WireMessage) -> JSONValue {
    let code = request.content["code"]?.string ?? ""
    let silent = request.content["silent"]?.bool ?? false
    // A silent request is never counted, whatever store_history says.
    let storeHistory = !silent && request.content["store_history"]?.bool ?? true
    if storeHistory { executionCount += 1 }
    let count = executionCount
    let parent = request.header
    if !silent {
      publish("execute_input", parent: parent, ["code": .string(code), "execution_count": .number(Double(count))])
    }
    let cell = CellRun(kernel: self, parent: parent, count: count, silent: silent)
    let failure = cell.run(code)
    guard let failure else {
      return ["status": "ok", "execution_count": .number(Double(count)), "payload": [], "user_expressions": [:]]
    }
    if !silent { publish("error", parent: parent, failure) }
    guard case .object(var content) = failure else { return failure }
    content["status"] = "error"
    content["execution_count"] = .number(Double(count))
    return .object(content)
  }
}
