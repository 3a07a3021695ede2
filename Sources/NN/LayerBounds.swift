/// The ranges of layers' whole-number settings, used by the `LayerKinds` declarations
/// (and so by the layer builtins and by model files alike).
public enum LayerBounds {
  /// Output channels of a convolution.
  public static let channels = 1...65536
  /// Kernel and pooling window sides.
  public static let window = 1...1024
  public static let stride = 1...1024
  /// Zero padding on a side, and a transposed convolution's extra output rows.
  public static let padding = 0...1024
  /// Outputs of a dense layer.
  public static let units = 1...1_000_000
  /// A VAE's latent code.
  public static let latent = 1...65536
  /// Any one dimension of a model's input.
  public static let inputDimension = 1...1_000_000
  /// A resized image's side.
  public static let side = 1...16384
}
