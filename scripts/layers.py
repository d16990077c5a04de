#!/usr/bin/env python3
"""The library's structure drawn from its `use` paths (and inline `crate::`/`super::` paths).

Prints every import circle between files (strongly connected components of the file graph) and
every import that runs back up the layers below, then a one-line summary. Exits 1 when there is
a circle or more than MAX_UP upward imports, so CI can hold the line.

Usage: python3 scripts/layers.py [antrea-metrics/src]

Layers, bottom to top (a file may import its own layer and the ones below):
  0 basement    error.rs (the core's error), labels, profile, descriptor, metrics/, cidr
  1 declared    def, catalogue/, pipeline
  2 families    family, store (a family's series and its read-only view)
  3 formats     format/ (encoders that read the view)
  4 components  collector, exposition, registration, labeled, agent, controller, proxy,
                node_ipam, flow_table, global, process
  5 server      server/
  6 top         what sits on everything: the umbrella error, the generated reference
lib.rs is the root: it declares the modules and re-exports, and is not a node.
"""

import os
import re
import sys
from collections import defaultdict

MAX_UP = 10

LAYERS = [
    (0, ["error.rs", "labels.rs", "profile.rs", "descriptor.rs", "metrics/", "cidr.rs"]),
    (1, ["def.rs", "catalogue.rs", "catalogue/", "pipeline.rs"]),
    (2, ["family.rs", "store.rs"]),
    (3, ["format/", "format.rs"]),
    (4, ["collector.rs", "exposition.rs", "registration.rs", "labeled.rs", "agent.rs",
         "controller.rs", "proxy.rs", "node_ipam.rs", "flow_table.rs", "global.rs",
         "process.rs"]),
    (5, ["server/", "server.rs"]),
    (6, ["umbrella.rs", "reference.rs"]),
]
NAMES = ["basement", "declared", "families", "formats", "components", "server", "top"]


def layer_of(rel):
    for layer, prefixes in LAYERS:
        for p in prefixes:
            if rel == p or (p.endswith("/") and rel.startswith(p)):
                return layer
    return None


def module_files(src):
    """Module path (tuple) -> file, for every .rs file under src."""
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, f), src).replace(os.sep, "/")
            parts = rel[:-3].split("/")
            if parts[-1] == "mod":
                parts = parts[:-1]
            if parts == ["lib"]:
                parts = []
            mods[tuple(parts)] = rel
    return mods


def strip(text):
    """Comments and string literals removed, so doc examples and messages are not imports."""
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'r#"(?:.|\n)*?"#', '""', text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return text


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]."""
    tree = tree.strip()
    i = tree.find("{")
    if i < 0:
        return [tree.split(" as ")[0].strip()]
    prefix = tree[:i]
    inner = tree[i + 1:tree.rfind("}")]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        if p.strip():
            out.extend(prefix + q for q in expand_use(p))
    return out


def paths_in(text):
    text = strip(text)
    paths = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        paths.extend(expand_use(m.group(1)))
    # Inline paths: crate::a::b, super::a, self::a (outside `use`).
    body = re.sub(r"\buse\s+[^;]+;", "", text)
    for m in re.finditer(r"\b((?:crate|super)(?:::[A-Za-z_][A-Za-z0-9_]*)+)", body):
        paths.append(m.group(1))
    return [re.sub(r"\s+", "", p) for p in paths]


def reexports_of(src, mods):
    """For each module, the names it re-exports (`pub use`, `pub(crate) use`) -> the absolute
    module path plus item they come from, so that `crate::Counter` is traced to metrics/."""
    out = {}
    for mod, f in mods.items():
        text = strip(open(os.path.join(src, f)).read())
        names = {}
        for m in re.finditer(r"\bpub(?:\([a-z]+\))?\s+use\s+([^;]+);", text):
            for p in expand_use(m.group(1)):
                segs = absolute(p.split("::"), mod, mods)
                if segs is not None:
                    alias = p.split(" as ")[-1].split("::")[-1].strip()
                    names[alias] = segs
        out[mod] = names
    return out


def absolute(segs, here, mods):
    """A path's segments from the crate root; None for another crate's path."""
    segs = [s.strip() for s in segs if s.strip()]
    if not segs:
        return None
    if segs[0] == "crate":
        return segs[1:]
    if segs[0] in ("super", "self"):
        base = list(here)
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                base = base[:-1]
            segs = segs[1:]
        return base + segs
    if tuple(list(here) + segs[:1]) in mods:
        return list(here) + segs  # a child module, named without `self::`
    return None


def resolve(path, here, mods, reexports):
    """The file a path names: the deepest module file on it, following re-exports."""
    segs = absolute(path.split("::"), here, mods)
    for _ in range(10):
        if segs is None:
            return None
        n = max((k for k in range(len(segs) + 1) if tuple(segs[:k]) in mods), default=0)
        mod = tuple(segs[:n])
        rest = segs[n:]
        if rest and rest[0] in reexports.get(mod, {}):
            new = reexports[mod][rest[0]] + rest[1:]
            if new == segs:
                break
            segs = new
            continue
        return mods.get(mod)
    return None


def sccs(graph, nodes):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "antrea-metrics/src"
    mods = module_files(src)
    reexports = reexports_of(src, mods)
    inverse = {v: k for k, v in mods.items()}
    graph = defaultdict(set)
    nodes = [f for f in mods.values() if f != "lib.rs"]
    for f in nodes:
        here = inverse[f]
        text = open(os.path.join(src, f)).read()
        # `#[cfg(test)] mod tests` blocks are not part of the structure.
        cut = re.search(r"#\[cfg\(test\)\]\s*mod\s+tests\s*\{", text)
        if cut:
            text = text[:cut.start()]
        for p in paths_in(text):
            target = resolve(p, here, mods, reexports)
            if target and target != f and target != "lib.rs":
                # A module declaring and re-exporting its own submodules is their parent, not
                # a file that imports them (as lib.rs is not a node).
                if inverse[target][:len(here)] == here:
                    continue
                graph[f].add(target)
    unknown = sorted(f for f in nodes if layer_of(f) is None)
    circles = [sorted(c) for c in sccs(graph, nodes) if len(c) > 1]
    up = []
    for f in sorted(nodes):
        for t in sorted(graph[f]):
            lf, lt = layer_of(f), layer_of(t)
            if lf is not None and lt is not None and lt > lf:
                up.append((f, t, lf, lt))
    print("files per layer:")
    for layer, name in enumerate(NAMES):
        files = sorted(f for f in nodes if layer_of(f) == layer)
        lines = sum(sum(1 for _ in open(os.path.join(src, f))) for f in files)
        print(f"  {layer} {name:<10} {len(files):3} files {lines:6} lines")
    if unknown:
        print("files in no layer:", ", ".join(unknown))
    print(f"circles: {len(circles)}")
    for c in circles:
        print("  " + " <-> ".join(c))
    print(f"upward imports: {len(up)} (at most {MAX_UP})")
    for f, t, lf, lt in up:
        print(f"  {f} ({NAMES[lf]}) -> {t} ({NAMES[lt]})")
    edges = sum(len(v) for v in graph.values())
    print(f"summary: {len(nodes)} files, {edges} imports between files, "
          f"{len(circles)} circles, {len(up)} upward")
    return 1 if circles or len(up) > MAX_UP or unknown else 0


if __name__ == "__main__":
    sys.exit(main())
