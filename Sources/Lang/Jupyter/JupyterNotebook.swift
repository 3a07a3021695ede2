import Foundation

/// A Jupyter notebook (nbformat 4.5) as Atelier writes and reads it: cells with their
/// sources, outputs of a replay, and Atelier's kernel and language in the metadata.
public struct JupyterNotebook: Codable {
  public struct Cell: Codable {
    public var cell_type: String
    public var id: String
    public var metadata: CellMetadata
    public var source: [String]
    public var execution_count: Int?
    public var outputs: [Output]?

    enum CodingKeys: String, CodingKey { case cell_type, id, metadata, source, execution_count, outputs }

    public init(from decoder: Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      cell_type = try c.decode(String.self, forKey: .cell_type)
      id = try c.decodeIfPresent(String.self, forKey: .id) ?? ""
      metadata = (try? c.decode(CellMetadata.self, forKey: .metadata)) ?? CellMetadata()
      // nbformat allows a source as one string or as a list of lines.
      if let lines = try? c.decode([String].self, forKey: .source) {
        source = lines
      } else {
        source = [try c.decodeIfPresent(String.self, forKey: .source) ?? ""]
      }
      execution_count = try? c.decodeIfPresent(Int.self, forKey: .execution_count)
      outputs = try? c.decodeIfPresent([Output].self, forKey: .outputs)
    }

    public func encode(to encoder: Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(cell_type, forKey: .cell_type)
      try c.encode(id, forKey: .id)
      try c.encode(metadata, forKey: .metadata)
      try c.encode(source, forKey: .source)
      if cell_type == "code" {
        // Code cells always carry both, null and [] when not run.
        try c.encode(execution_count, forKey: .execution_count)
        try c.encode(outputs ?? [], forKey: .outputs)
      }
    }

    init(kind: String, id: String, source: String, metadata: CellMetadata) {
      cell_type = kind
      self.id = id
      self.metadata = metadata
      self.source = JupyterNotebook.lines(source)
      execution_count = nil
      outputs = kind == "code" ? [] : nil
    }
  }

  /// What Atelier keeps in a cell's metadata to give back the same `.atl` text.
  public struct CellMetadata: Codable {
    public var atelier: AtelierLayout?
    public init(atelier: AtelierLayout? = nil) { self.atelier = atelier }
  }

  public struct AtelierLayout: Codable {
    public var marker: String?
    public var blank_lines_after: Int
  }

  /// A stream of text, or an image or a value shown.
  public struct Output: Codable {
    public var output_type: String
    public var name: String?
    public var text: [String]?
    public var data: [String: String]?
    public var metadata: [String: [String: Int]]?
    public var execution_count: Int?
    public var ename: String?
    public var evalue: String?
    public var traceback: [String]?

    public static func stream(_ text: String) -> Output {
      Output(output_type: "stream", name: "stdout", text: JupyterNotebook.lines(text))
    }

    public static func png(_ data: Data, width: Int, height: Int) -> Output {
      Output(
        output_type: "display_data", data: ["image/png": data.base64EncodedString(), "text/plain": "<Figure>"],
        metadata: ["image/png": ["width": width, "height": height]])
    }

    public static func error(_ message: String) -> Output {
      Output(
        output_type: "error", ename: "AtelierError", evalue: message, traceback: message.components(separatedBy: "\n"))
    }
  }

  /// Atelier's kernel and language; other tools' metadata (nested values) is not kept.
  public struct Metadata: Codable {
    public var kernelspec: [String: String]?
    public var language_info: [String: String]?

    init(kernelspec: [String: String], language_info: [String: String]) {
      self.kernelspec = kernelspec
      self.language_info = language_info
    }

    public init(from decoder: Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      kernelspec = try? c.decodeIfPresent([String: String].self, forKey: .kernelspec)
      language_info = try? c.decodeIfPresent([String: String].self, forKey: .language_info)
    }
  }

  public var cells: [Cell]
  public var metadata: Metadata
  public var nbformat = 4
  public var nbformat_minor = 5

  public static let atelierMetadata = Metadata(
    kernelspec: ["name": "atelier", "display_name": "Atelier", "language": "atelier"],
    language_info: [
      "name": "atelier", "file_extension": ".atl", "mimetype": "text/x-atelier", "pygments_lexer": "python",
      "codemirror_mode": "python",
    ])

  /// nbformat's multi-line strings: lines that keep their line breaks, the last without.
  static func lines(_ text: String) -> [String] {
    guard !text.isEmpty else { return [] }
    let parts = text.split(separator: "\n", omittingEmptySubsequences: false)
    return parts.enumerated().compactMap { i, line in
      i < parts.count - 1 ? line + "\n" : (line.isEmpty ? nil : String(line))
    }
  }
}

/// `.atl` ⇄ `.ipynb`.
public enum NotebookConversion {
  public static func ipynb(fromAtl text: String) -> JupyterNotebook {
    let cells = NotebookCells.split(text).enumerated().map { i, cell in
      JupyterNotebook.Cell(
        kind: cell.kind.rawValue, id: String(format: "atl-%04d", i + 1), source: cell.source,
        metadata: .init(atelier: .init(marker: cell.marker, blank_lines_after: cell.blankLinesAfter)))
    }
    return JupyterNotebook(cells: cells, metadata: JupyterNotebook.atelierMetadata)
  }

  /// The `.atl` text of a notebook. Cells without Atelier's layout (a notebook made in
  /// Jupyter) are separated by one blank line; raw cells become comments like Markdown.
  public static func atl(fromIpynb notebook: JupyterNotebook) -> String {
    NotebookCells.join(
      notebook.cells.map { cell in
        NotebookCell(
          kind: cell.cell_type == "code" ? .code : .markdown, source: cell.source.joined(),
          marker: cell.metadata.atelier?.marker, blankLinesAfter: cell.metadata.atelier?.blank_lines_after ?? 1)
      })
  }

  public static func encode(_ notebook: JupyterNotebook) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(notebook), as: UTF8.self) + "\n"
  }

  public static func decode(_ text: String, path: String) throws -> JupyterNotebook {
    do {
      return try JSONDecoder().decode(JupyterNotebook.self, from: Data(text.utf8))
    } catch {
      throw AtelierError("\(path) is not a Jupyter notebook Atelier reads (nbformat 4)")
    }
  }
}
