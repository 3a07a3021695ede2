/// Atelier's version, in one place: `atelier --version`, model files, reports and the
/// Jupyter kernel all read it here.
public enum AtelierVersion {
  public static let number = "0.12.0"
}
