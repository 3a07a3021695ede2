import CKernel

/// 64-byte aligned float32 memory, freed as soon as the last tensor using it goes.
public final class Storage {
  public let pointer: UnsafeMutablePointer<Float>
  public let count: Int

  /// Zero-filled memory, or memory with undefined contents for results an op overwrites whole.
  public init(count: Int, zeroed: Bool = true) {
    guard let memory = zeroed ? atl_alloc(Int64(count)) : atl_alloc_uninitialized(Int64(count)) else {
      // Allocation failure is not a user error; there is nothing sane to continue with.
      fatalError("Atelier: out of memory allocating \(count) floats")
    }
    self.pointer = memory
    self.count = count
  }

  deinit { atl_free(pointer) }
}
