import CKernel

/// 64-byte aligned float32 memory, freed as soon as the last tensor using it goes.
public final class Storage {
  public let pointer: UnsafeMutablePointer<Float>
  public let count: Int

  public init(count: Int) {
    guard let memory = atl_alloc(Int64(count)) else {
      // Allocation failure is not a user error; there is nothing sane to continue with.
      fatalError("Atelier: out of memory allocating \(count) floats")
    }
    self.pointer = memory
    self.count = count
  }

  deinit { atl_free(pointer) }
}
