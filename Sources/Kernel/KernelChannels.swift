import CZmq
import Foundation

/// The five sockets of a kernel, bound where the connection file says.
final class KernelChannels {
  let shell: ZmqSocket
  let control: ZmqSocket
  let stdin: ZmqSocket
  let heartbeat: ZmqSocket
  private let iopub: ZmqSocket
  /// iopub is written from the cell's thread and from the control thread.
  private let iopubLock = NSLock()

  init(_ connection: ConnectionInfo) throws {
    let context = Zmq.context
    shell = try ZmqSocket(context: context, type: ZMQ_ROUTER)
    control = try ZmqSocket(context: context, type: ZMQ_ROUTER)
    stdin = try ZmqSocket(context: context, type: ZMQ_ROUTER)
    heartbeat = try ZmqSocket(context: context, type: ZMQ_REP)
    iopub = try ZmqSocket(context: context, type: ZMQ_PUB)
    try shell.bind(connection.endpoint(connection.shell_port))
    try control.bind(connection.endpoint(connection.control_port))
    try stdin.bind(connection.endpoint(connection.stdin_port))
    try heartbeat.bind(connection.endpoint(connection.hb_port))
    try iopub.bind(connection.endpoint(connection.iopub_port))
  }

  func publish(_ frames: [Data]) {
    iopubLock.lock()
    defer { iopubLock.unlock() }
    iopub.send(frames)
  }

  /// Echoes every heartbeat on its own thread, so the front end sees the kernel alive
  /// while a cell trains for minutes.
  func startHeartbeat() {
    let socket = heartbeat
    Thread.detachNewThread {
      while true {
        if let frames = socket.receive() { socket.send(frames) }
      }
    }
  }
}
