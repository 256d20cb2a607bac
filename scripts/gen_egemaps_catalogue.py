#!/usr/bin/env python3
"""Regenerate Sources/ProbeCore/EGeMAPS.swift from the eGeMAPS spec's feature table (§1).

usage: python3 scripts/gen_egemaps_catalogue.py ../shared/docs/egemaps-spec.md > Sources/ProbeCore/EGeMAPS.swift
"""
import re
import sys

rows = []
for line in open(sys.argv[1] if len(sys.argv) > 1 else "../shared/docs/egemaps-spec.md"):
    m = re.match(r"\| (\d+) \| (\S+) \| .* \| (Frequency|Energy|Spectral|Temporal) \| .*\|$", line)
    if m:
        rows.append((int(m.group(1)), m.group(2), m.group(3)))
assert len(rows) == 88, len(rows)


def family(n):
    if n.startswith("F0semitone"): return "f0"
    if n.startswith("loudness_"): return "loudness"
    if n == "loudnessPeaksPerSec": return "loudness_peaks"
    if n.startswith("spectralFlux"): return "spectral_flux"
    m = re.match(r"mfcc(\d)", n)
    if m: return "mfcc" + m.group(1)
    if n.startswith("jitter"): return "jitter"
    if n.startswith("shimmer"): return "shimmer"
    if n.startswith("HNR"): return "hnr"
    if n.startswith("logRelF0-H1-H2"): return "h1_h2"
    if n.startswith("logRelF0-H1-A3"): return "h1_a3"
    m = re.match(r"F(\d)(frequency|bandwidth|amplitude)", n)
    if m: return "f" + m.group(1) + ("" if m.group(2) == "frequency" else "_" + m.group(2))
    if n.startswith("alphaRatio"): return "alpha_ratio"
    if n.startswith("hammarberg"): return "hammarberg"
    if n.startswith("slopeV0-500") or n.startswith("slopeUV0-500"): return "slope0_500"
    if n.startswith("slopeV500") or n.startswith("slopeUV500"): return "slope500_1500"
    if "VoicedSegment" in n and "Unvoiced" not in n: return "voiced_segments"
    if "UnvoicedSegment" in n: return "unvoiced_segments"
    if n.startswith("equivalentSoundLevel"): return "leq"
    raise ValueError(n)


HEAD = '''/// The 88 eGeMAPSv02 functionals in openSMILE's output order, with the category each belongs to
/// (Eyben et al. 2016 grouping, Leq under Energy: Frequency 24, Energy 15, Spectral 43, Temporal 6)
/// and the low-level-descriptor family a PROBE statement may name instead of listing them.
///
/// Generated from `../shared/docs/egemaps-spec.md` §1 by `scripts/gen_egemaps_catalogue.py`.
public enum EGeMAPS {
  public struct Feature: Sendable, Equatable {
    public let name: String
    public let category: String
    public let family: String
  }

  public static let features: [Feature] = ['''
print(HEAD)
for _, n, c in rows:
    print(f'    Feature(name: "{n}", category: "{c.lower()}", family: "{family(n)}"),')
print('''  ]

  public static let names: [String] = features.map(\\.name)
  public static let categories = ["energy", "frequency", "spectral", "temporal"]
  /// Families in first-appearance order.
  public static let families: [String] = {
    var seen: [String] = []
    for f in features where !seen.contains(f.family) { seen.append(f.family) }
    return seen
  }()

  /// Expand a name from a PROBE feature list: an exact feature name (case-insensitive), a family,
  /// a category or `*`. Nil when the name is none of these.
  public static func expand(_ name: String) -> [String]? {
    let l = name.lowercased()
    if l == "*" { return names }
    if let f = features.first(where: { $0.name.lowercased() == l }) { return [f.name] }
    if families.contains(l) { return features.filter { $0.family == l }.map(\\.name) }
    if categories.contains(l) { return features.filter { $0.category == l }.map(\\.name) }
    return nil
  }

  /// Every spelling `expand` accepts, for "did you mean" and completion.
  public static var allSpellings: [String] { names + families + categories }
}''')
