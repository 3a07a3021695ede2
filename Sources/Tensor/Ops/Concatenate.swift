import CKernel

extension Tensor {
  /// Tensors joined along the first dimension; their other dimensions must agree.
  public static func concatenate(_ parts: [Tensor]) throws -> Tensor {
    guard let first = parts.first, first.rank >= 1,
      parts.allSatisfy({ $0.shape.dropFirst() == first.shape.dropFirst() })
    else {
      throw TensorError("cat: needs tensors whose shapes agree after the first dimension")
    }
    let out = Tensor(uninitialized: [parts.reduce(0) { $0 + $1.shape[0] }] + first.shape.dropFirst())
    var offset = 0
    for part in parts {
      (out.data + offset).update(from: part.data, count: part.count)
      offset += part.count
    }
    return out
  }

  /// `body` applied to the first `count` rows, `batchSize` at a time and without a tape,
  /// the results joined: how a model is run over a whole dataset.
  public func mapRows(count: Int, batchSize: Int, _ body: (Tensor) throws -> Tensor) throws -> Tensor {
    try mapInBatches(count: count, batchSize: batchSize, rows: rows, body)
  }
}

/// `body` applied to rows [start, end) of a source, `batchSize` rows at a time over the
/// first `count`, without a tape, the results joined along the first dimension.
public func mapInBatches(
  count: Int, batchSize: Int, rows: (Int, Int) throws -> Tensor, _ body: (Tensor) throws -> Tensor
) throws -> Tensor {
  var parts: [Tensor] = []
  try Tape.withoutRecording {
    var start = 0
    while start < count {
      let end = Swift.min(start + Swift.max(batchSize, 1), count)
      releaseIdleBlocksBeforeShortBatch(rows: end - start, batchSize: batchSize, total: count)
      parts.append(try body(try rows(start, end)))
      start = end
    }
  }
  return parts.isEmpty ? Tensor(zeros: [0, 0]) : try Tensor.concatenate(parts)
}

/// Gives the blocks that training or evaluation kept for reuse back to the system,
/// so that the next phase's peak does not stack on this one's.
public func releaseCachedMemory() { atl_release_cached_memory() }

/// A short last batch asks for blocks of other size classes than the full ones, whose
/// idle blocks would otherwise stay cached under it: the peak would then grow with the
/// remainder of the count by the batch size instead of staying that of one full batch.
/// Called before each batch of `rows` out of `total`; acts only before a short last one.
public func releaseIdleBlocksBeforeShortBatch(rows: Int, batchSize: Int, total: Int) {
  if rows < batchSize && total > batchSize { releaseCachedMemory() }
}
