import CZmq
import Foundation

/// A ZeroMQ socket through libzmq's C API. ZeroMQ sockets belong to one thread at a
/// time; the kernel gives each channel its own thread or guards it with a lock.
final class ZmqSocket {
  private let handle: UnsafeMutableRawPointer

  init(context: UnsafeMutableRawPointer, type: Int32) throws {
    guard let handle = zmq_socket(context, type) else { throw KernelError("zmq_socket: \(ZmqSocket.lastError)") }
    self.handle = handle
    // Closing must not wait for unsent messages to a client that has gone.
    var linger: Int32 = 0
    zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    // Anyone on the machine may connect before a signature is checked: no frame may
    // make the kernel hold more than this.
    var largest = ZmqSocket.largestFrame
    zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &largest, MemoryLayout<Int64>.size)
  }

  static let largestFrame: Int64 = 256 << 20
  /// A Jupyter message has its identities, seven frames and a few buffers.
  static let mostFrames = 64

  deinit { zmq_close(handle) }

  static var lastError: String { String(cString: zmq_strerror(zmq_errno())) }

  func bind(_ endpoint: String) throws {
    guard zmq_bind(handle, endpoint) == 0 else {
      throw KernelError("cannot listen on \(endpoint): \(ZmqSocket.lastError)")
    }
  }

  func connect(_ endpoint: String) throws {
    guard zmq_connect(handle, endpoint) == 0 else {
      throw KernelError("cannot connect to \(endpoint): \(ZmqSocket.lastError)")
    }
  }

  func subscribeAll() { zmq_setsockopt(handle, ZMQ_SUBSCRIBE, "", 0) }

  /// Milliseconds a receive waits before giving up (-1: for ever).
  func setReceiveTimeout(_ milliseconds: Int32) {
    var value = milliseconds
    zmq_setsockopt(handle, ZMQ_RCVTIMEO, &value, MemoryLayout<Int32>.size)
  }

  /// All frames of the next message, or nil on a timeout or an interrupted wait;
  /// without `waiting`, nil when no message is queued.
  func receive(waiting: Bool = true) -> [Data]? {
    var frames: [Data] = []
    var tooMany = false
    while true {
      var message = zmq_msg_t()
      zmq_msg_init(&message)
      defer { zmq_msg_close(&message) }
      // Only the first frame may be absent; the rest of a message arrives with it.
      guard zmq_msg_recv(&message, handle, frames.isEmpty && !waiting ? ZMQ_DONTWAIT : 0) >= 0 else {
        // A signal in the middle of a message: the rest is still to be read.
        if !frames.isEmpty, zmq_errno() == EINTR { continue }
        return nil
      }
      let size = zmq_msg_size(&message)
      if frames.count < ZmqSocket.mostFrames {
        frames.append(size == 0 ? Data() : Data(bytes: zmq_msg_data(&message), count: size))
      } else {
        tooMany = true
      }
      // A message of too many frames is read to its end and dropped whole.
      if zmq_msg_more(&message) == 0 { return tooMany ? [] : frames }
    }
  }

  @discardableResult
  func send(_ frames: [Data]) -> Bool {
    for (index, frame) in frames.enumerated() {
      let flags: Int32 = index < frames.count - 1 ? ZMQ_SNDMORE : 0
      let sent = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, frame.count, flags) }
      if sent < 0 { return false }
    }
    return true
  }
}

/// The process's one ZeroMQ context.
enum Zmq {
  nonisolated(unsafe) static let context: UnsafeMutableRawPointer = zmq_ctx_new()
}
