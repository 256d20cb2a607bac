import Foundation

/// Box plots of several series (emotions) within groups (categories): the paper's figures of
/// min-max-normalised SHAP importance and of information increase per category and emotion.
/// Boxes span the quartiles with the median marked; whiskers reach the most extreme values within
/// 1.5 IQR of the box (matplotlib's rule); values beyond are drawn as points.
public struct BoxPlotChart {
  public var title: String
  public var yLabel: String
  public var groups: [String]
  public var series: [String]
  /// values[group][series] → the values of that box.
  public var values: [String: [String: [Double]]]
  /// A horizontal reference line (II = 1: no information gained).
  public var referenceLine: Double?

  public init(title: String, yLabel: String, groups: [String], series: [String], values: [String: [String: [Double]]], referenceLine: Double? = nil) {
    self.title = title
    self.yLabel = yLabel
    self.groups = groups
    self.series = series
    self.values = values
    self.referenceLine = referenceLine
  }

  static func quantile(_ v: [Double], _ q: Double) -> Double {
    let s = v.sorted()
    let i = q * Double(s.count - 1)
    let lo = Int(i.rounded(.down)), hi = min(lo + 1, s.count - 1)
    return s[lo] + (s[hi] - s[lo]) * (i - Double(lo))
  }

  public func render() -> String {
    let boxW = 22.0, gap = 6.0, groupGap = 36.0
    let groupW = Double(series.count) * (boxW + gap) - gap
    let left = 70.0, right = 150.0, top = 50.0, bottom = 60.0, plotH = 300.0
    let width = left + Double(groups.count) * (groupW + groupGap) + right
    var svg = SVGDocument(width: width, height: top + plotH + bottom)
    let all = values.values.flatMap { $0.values.flatMap { $0 } }.filter(\.isFinite) + (referenceLine.map { [$0] } ?? [])
    let (lo, hi, ticks) = niceTicks(all.min() ?? 0, all.max() ?? 1)
    func y(_ v: Double) -> Double { top + plotH - (v - lo) / (hi - lo) * plotH }
    svg.text(width / 2, 24, title, size: 15, anchor: .middle, weight: "bold")
    for t in ticks {
      svg.line(left, y(t), width - right + 10, y(t), stroke: "#e4e4e4")
      svg.text(left - 8, y(t) + 4, tickLabel(t), size: 11, anchor: .end)
    }
    svg.line(left, top, left, top + plotH, stroke: "#333")
    svg.text(18, top + plotH / 2, yLabel, size: 12, anchor: .middle, rotate: -90)
    if let r = referenceLine { svg.line(left, y(r), width - right + 10, y(r), stroke: "#555", width: 1, dash: "5,4") }
    for (gi, g) in groups.enumerated() {
      let gx = left + 20 + Double(gi) * (groupW + groupGap)
      svg.text(gx + groupW / 2, top + plotH + 22, g, size: 12, anchor: .middle, weight: "bold")
      for (si, s) in series.enumerated() {
        guard let v = values[g]?[s]?.filter(\.isFinite), !v.isEmpty else { continue }
        let color = Palette.color(s, index: si)
        let x = gx + Double(si) * (boxW + gap)
        let q1 = Self.quantile(v, 0.25), med = Self.quantile(v, 0.5), q3 = Self.quantile(v, 0.75)
        let iqr = q3 - q1
        let lowW = v.filter { $0 >= q1 - 1.5 * iqr }.min() ?? q1
        let highW = v.filter { $0 <= q3 + 1.5 * iqr }.max() ?? q3
        svg.line(x + boxW / 2, y(highW), x + boxW / 2, y(q3), stroke: color, width: 1.5)
        svg.line(x + boxW / 2, y(q1), x + boxW / 2, y(lowW), stroke: color, width: 1.5)
        svg.line(x + 5, y(highW), x + boxW - 5, y(highW), stroke: color, width: 1.5)
        svg.line(x + 5, y(lowW), x + boxW - 5, y(lowW), stroke: color, width: 1.5)
        svg.rect(x: x, y: y(q3), width: boxW, height: y(q1) - y(q3), fill: color, stroke: color, opacity: 0.35)
        svg.line(x, y(med), x + boxW, y(med), stroke: "#111", width: 2)
        for o in v where o < lowW || o > highW { svg.circle(x + boxW / 2, y(o), r: 2.5, fill: "white", stroke: color) }
      }
    }
    let lx = width - right + 24
    for (si, s) in series.enumerated() {
      let ly = top + 10 + Double(si) * 20
      svg.rect(x: lx, y: ly - 10, width: 14, height: 14, fill: Palette.color(s, index: si), opacity: 0.7)
      svg.text(lx + 20, ly + 1, s, size: 12)
    }
    return svg.rendered
  }
}

/// Curves of a score against a parameter, one per series, with a marked point per series (the
/// top-k sweep: mean F1 against k, k* marked).
public struct LineChart {
  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var series: [(name: String, points: [(Double, Double)], marked: Double?)]
  /// How the legend names a series' marked x (`k*` for the sweep, `best layer` for layers).
  public var markLabel: String
  /// A dashed horizontal line at this y (e.g. II = 1), when given.
  public var referenceLine: Double?
  /// Ticks on whole numbers only (layers).
  public var integerX: Bool

  public init(title: String, xLabel: String, yLabel: String, series: [(name: String, points: [(Double, Double)], marked: Double?)],
              markLabel: String = "k*", referenceLine: Double? = nil, integerX: Bool = false) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.markLabel = markLabel
    self.referenceLine = referenceLine
    self.integerX = integerX
  }

  func legend(_ s: (name: String, points: [(Double, Double)], marked: Double?)) -> String {
    s.name + (s.marked.map { " (\(markLabel) = \(tickLabel($0)))" } ?? "")
  }

  public func render() -> String {
    // The legend's width from its longest entry (≈ 7 px per character at 12 px).
    let legendW = Double(series.map { legend($0).count }.max() ?? 10) * 7 + 60
    let left = 70.0, right = max(150.0, legendW), top = 50.0, bottom = 60.0, plotW = 560.0, plotH = 320.0
    var svg = SVGDocument(width: left + plotW + right, height: top + plotH + bottom)
    let xs = series.flatMap { $0.points.map(\.0) }, ys = series.flatMap { $0.points.map(\.1) }
    let (x0, x1, xt) = niceTicks(xs.min() ?? 0, xs.max() ?? 1, count: 8, integers: integerX)
    let yAll = ys + (referenceLine.map { [$0] } ?? [])
    let (y0, y1, yt) = niceTicks(yAll.min() ?? 0, yAll.max() ?? 1)
    func px(_ v: Double) -> Double { left + (v - x0) / (x1 - x0) * plotW }
    func py(_ v: Double) -> Double { top + plotH - (v - y0) / (y1 - y0) * plotH }
    svg.text((left + plotW + right) / 2, 24, title, size: 15, anchor: .middle, weight: "bold")
    for t in yt {
      svg.line(left, py(t), left + plotW, py(t), stroke: "#e4e4e4")
      svg.text(left - 8, py(t) + 4, tickLabel(t), size: 11, anchor: .end)
    }
    for t in xt {
      svg.line(px(t), top + plotH, px(t), top + plotH + 5, stroke: "#333")
      svg.text(px(t), top + plotH + 20, tickLabel(t), size: 11, anchor: .middle)
    }
    svg.line(left, top + plotH, left + plotW, top + plotH, stroke: "#333")
    svg.line(left, top, left, top + plotH, stroke: "#333")
    svg.text(left + plotW / 2, top + plotH + 44, xLabel, size: 12, anchor: .middle)
    svg.text(18, top + plotH / 2, yLabel, size: 12, anchor: .middle, rotate: -90)
    if let r = referenceLine { svg.line(left, py(r), left + plotW, py(r), stroke: "#999", dash: "5,4") }
    for (si, s) in series.enumerated() {
      let color = Palette.color(s.name, index: si)
      svg.polyline(s.points.map { (px($0.0), py($0.1)) }, stroke: color)
      for p in s.points { svg.circle(px(p.0), py(p.1), r: 2.5, fill: color) }
      if let m = s.marked, let p = s.points.first(where: { $0.0 == m }) {
        svg.circle(px(p.0), py(p.1), r: 6, fill: "none", stroke: color)
      }
      let ly = top + 10 + Double(si) * 20
      svg.line(left + plotW + 24, ly - 4, left + plotW + 40, ly - 4, stroke: color, width: 3)
      svg.text(left + plotW + 46, ly, legend(s), size: 12)
    }
    return svg.rendered
  }
}

/// Horizontal bars with labels, largest first (SHAP importance of the top dimensions or features).
public struct BarChart {
  public var title: String
  public var xLabel: String
  public var bars: [(label: String, value: Double)]
  public var color: String

  public init(title: String, xLabel: String, bars: [(label: String, value: Double)], color: String = "#0072B2") {
    self.title = title
    self.xLabel = xLabel
    self.bars = bars
    self.color = color
  }

  public func render() -> String {
    let labelW = min(360.0, 7.0 * Double(bars.map(\.label.count).max() ?? 10) + 16)
    let left = labelW + 10, right = 40.0, top = 50.0, barH = 18.0, gap = 6.0, plotW = 420.0
    let plotH = Double(bars.count) * (barH + gap)
    var svg = SVGDocument(width: left + plotW + right, height: top + plotH + 60)
    let (x0, x1, ticks) = niceTicks(0, bars.map(\.value).max() ?? 1)
    func px(_ v: Double) -> Double { left + (v - x0) / (x1 - x0) * plotW }
    svg.text((left + plotW) / 2, 24, title, size: 15, anchor: .middle, weight: "bold")
    for t in ticks {
      svg.line(px(t), top, px(t), top + plotH, stroke: "#e4e4e4")
      svg.text(px(t), top + plotH + 18, tickLabel(t), size: 11, anchor: .middle)
    }
    for (i, b) in bars.enumerated() {
      let y = top + Double(i) * (barH + gap)
      svg.rect(x: left, y: y, width: px(b.value) - left, height: barH, fill: color, opacity: 0.8)
      svg.text(left - 8, y + barH - 5, b.label, size: 11, anchor: .end)
    }
    svg.line(left, top, left, top + plotH, stroke: "#333")
    svg.text(left + plotW / 2, top + plotH + 42, xLabel, size: 12, anchor: .middle)
    return svg.rendered
  }
}
