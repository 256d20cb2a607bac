import Foundation

/// A minimal SVG document builder: shapes and text in user units, written as standalone SVG 1.1
/// that browsers, Markdown viewers and converters (rsvg-convert) render the same.
public struct SVGDocument {
  public let width: Double
  public let height: Double
  var body: [String] = []

  public init(width: Double, height: Double) {
    self.width = width
    self.height = height
  }

  static func f(_ x: Double) -> String {
    let r = (x * 100).rounded() / 100
    return r == r.rounded() ? String(Int(r)) : String(r)
  }

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
      .replacingOccurrences(of: "\"", with: "&quot;")
  }

  public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil, opacity: Double = 1) {
    var s = "<rect x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" width=\"\(Self.f(max(0, width)))\" height=\"\(Self.f(max(0, height)))\" fill=\"\(fill)\""
    if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"1\"" }
    if opacity < 1 { s += " fill-opacity=\"\(Self.f(opacity))\"" }
    body.append(s + "/>")
  }

  public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#333", width: Double = 1, dash: String? = nil) {
    var s = "<line x1=\"\(Self.f(x1))\" y1=\"\(Self.f(y1))\" x2=\"\(Self.f(x2))\" y2=\"\(Self.f(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.f(width))\""
    if let dash { s += " stroke-dasharray=\"\(dash)\"" }
    body.append(s + "/>")
  }

  public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2) {
    let p = points.map { "\(Self.f($0.0)),\(Self.f($0.1))" }.joined(separator: " ")
    body.append("<polyline points=\"\(p)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.f(width))\" stroke-linejoin=\"round\"/>")
  }

  public mutating func circle(_ x: Double, _ y: Double, r: Double, fill: String, stroke: String? = nil) {
    var s = "<circle cx=\"\(Self.f(x))\" cy=\"\(Self.f(y))\" r=\"\(Self.f(r))\" fill=\"\(fill)\""
    if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"1.5\"" }
    body.append(s + "/>")
  }

  public enum Anchor: String { case start, middle, end }

  public mutating func text(_ x: Double, _ y: Double, _ s: String, size: Double = 12, anchor: Anchor = .start, weight: String = "normal", rotate: Double = 0, fill: String = "#222") {
    var t = "<text x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" font-size=\"\(Self.f(size))\" text-anchor=\"\(anchor.rawValue)\" font-weight=\"\(weight)\" fill=\"\(fill)\""
    if rotate != 0 { t += " transform=\"rotate(\(Self.f(rotate)) \(Self.f(x)) \(Self.f(y)))\"" }
    body.append(t + ">\(Self.escape(s))</text>")
  }

  public var rendered: String {
    """
    <?xml version="1.0" encoding="UTF-8"?>
    <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.f(width))" height="\(Self.f(height))" viewBox="0 0 \(Self.f(width)) \(Self.f(height))" font-family="Helvetica, Arial, sans-serif">
    <rect width="100%" height="100%" fill="white"/>
    \(body.joined(separator: "\n"))
    </svg>

    """
  }
}

/// Colours by emotion (Okabe–Ito, colour-blind safe), stable across figures.
public enum Palette {
  static let byEmotion: [String: String] = [
    "angry": "#D55E00", "happy": "#E69F00", "sad": "#0072B2", "fearful": "#009E73", "disgust": "#CC79A7",
    "surprised": "#56B4E9", "calm": "#B8A000", "neutral": "#999999", "boredom": "#666666",
  ]
  static let fallback = ["#D55E00", "#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#B8A000", "#000000"]
  public static func color(_ series: String, index: Int) -> String { byEmotion[series] ?? fallback[index % fallback.count] }
}

/// Axis ticks at 1, 2 or 5 × 10ⁿ steps covering [lo, hi].
func niceTicks(_ lo: Double, _ hi: Double, count: Int = 5, integers: Bool = false) -> (lo: Double, hi: Double, ticks: [Double]) {
  var lo = lo, hi = hi
  if !(hi > lo) { lo -= 0.5; hi += 0.5 }
  let raw = (hi - lo) / Double(count)
  let mag = pow(10, (log10(raw)).rounded(.down))
  var step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
  if integers { step = max(1, step.rounded(.up)) }
  let a = (lo / step).rounded(.down) * step, b = (hi / step).rounded(.up) * step
  var t: [Double] = []
  var v = a
  while v <= b + step / 2 {
    t.append(abs(v) < step / 1e6 ? 0 : v)
    v += step
  }
  return (a, b, t)
}

func tickLabel(_ v: Double) -> String {
  if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
  var s = String(format: "%.3g", v)
  if s.contains("e") { s = String(format: "%.2e", v) }
  return s
}
