import CKernel

/// A mask of 1/(1-p) (kept) and 0 (dropped) values.
public func dropoutMask(shape: [Int], probability: Float, rng: RandomSource) -> Tensor {
  let uniform = Tensor.uniform(shape, low: 0, high: 1, rng: rng)
  let mask = Tensor(uninitialized: shape)
  atl_dropout_mask(uniform.data, probability, mask.data, Int64(mask.count))
  return mask
}
