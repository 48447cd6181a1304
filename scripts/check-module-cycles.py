#!/usr/bin/env python3
"""Fails when the modules of any crate of the workspace depend on each other in a cycle.

Cargo already refuses cycles between crates; this holds modules inside a crate to the same rule,
so a crate reads as layers. A module is a source file. It depends on another when its code (tests
left out: `#[cfg(test)]` items) names it through `crate::`, `super::` or `self::` paths, in `use`
declarations or inline. Declaring a child (`mod x;`) is ownership, not a dependency; re-exporting
a child's item (`pub use x::Item;`) is, and a path to a re-exported item is resolved to the module
that defines it, so `crate::watch::WatchHub` depends on `watch/hub.rs`, not on `watch/mod.rs`.

Every crate target is checked: `src/lib.rs`, `src/main.rs`, `src/bin/*.rs` and `tests/*/main.rs`.

    scripts/check-module-cycles.py [ROOT]    check the workspace (default: the repository)
    scripts/check-module-cycles.py --report  also print each crate's largest file and cycle
    scripts/check-module-cycles.py --self-test
                                             prove the check fails on a planted cycle
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text: str) -> str:
    """Blanks comments, string and char literals (keeping line breaks) so paths in them don't count."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        elif c == "r" and re.match(r'r(#*)"', text[i:i + 40]) and (i == 0 or not re.match(r"\w", text[i - 1])):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'":
            # A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a): only literals are blanked.
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:])
            if m:
                out.append("' '")
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def item_end(text: str, start: int) -> int:
    """The end of the item starting at `start`: its matching closing brace, or its `;`."""
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c in "{([":
            depth += 1
        elif c in "})]":
            depth -= 1
            if depth == 0 and c == "}":
                return i + 1
        elif c == ";" and depth == 0:
            return i + 1
    return len(text)


CFG_TEST = re.compile(r"#\s*\[\s*cfg\s*\(\s*(test|all\s*\(\s*test[^\]]*)\)\s*\]")


def strip_test_items(text: str) -> str:
    """Removes each item under `#[cfg(test)]` (tests and test-only helpers)."""
    while True:
        m = CFG_TEST.search(text)
        if not m:
            return text
        end = item_end(text, m.end())
        text = text[: m.start()] + "\n" * text.count("\n", m.start(), end) + text[end:]


def expand_use_tree(tree: str) -> list[str]:
    """`a::{b, c::{d, e}}` -> ['a::b', 'a::c::d', 'a::c::e'] (renames and globs kept as paths)."""
    tree = re.sub(r"\s+as\s+" + IDENT, "", tree)  # renames: the path is what counts
    tree = re.sub(r"\s+", "", tree)
    for i, c in enumerate(tree):
        if c == "{":
            prefix, inner = tree[:i], tree[i + 1 : tree.rindex("}")]
            parts, depth, last = [], 0, 0
            for j, d in enumerate(inner):
                if d == "{":
                    depth += 1
                elif d == "}":
                    depth -= 1
                elif d == "," and depth == 0:
                    parts.append(inner[last:j])
                    last = j + 1
            parts.append(inner[last:])
            paths = []
            for part in parts:
                if not part:
                    continue
                for sub in expand_use_tree(part):
                    paths.append(prefix + sub if sub != "self" else prefix.rstrip(":"))
            return paths
    return [tree]


USE = re.compile(r"\b(pub(\s*\([^)]*\))?\s+)?use\s+([^;]+);")
INLINE = re.compile(r"(?<![\w:])((?:crate|super|self)(?:\s*::\s*(?:" + IDENT + r"|\*))+)")


class Crate:
    def __init__(self, name: str, root: Path):
        self.name = name
        self.root = root  # the crate root file
        self.modules: dict[tuple[str, ...], Path] = {}
        self.texts: dict[tuple[str, ...], str] = {}
        self.reexports: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = {}
        self.load(root, ())

    def load(self, path: Path, module: tuple[str, ...]) -> None:
        text = strip_test_items(strip_comments_and_strings(path.read_text()))
        self.modules[module] = path
        self.texts[module] = text
        base = path.parent if path.name in ("mod.rs", "lib.rs", "main.rs") or module == () else path.with_suffix("")
        for m in re.finditer(r"(?:#\s*\[\s*path\s*=\s*\"\"\s*\]\s*)?\b(?:pub(?:\s*\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*;", text):
            name = m.group(1)
            for candidate in (base / f"{name}.rs", base / name / "mod.rs"):
                if candidate.exists():
                    self.load(candidate, module + (name,))
                    break

    def resolve(self, module: tuple[str, ...], raw: str) -> tuple[str, ...] | None:
        """The module a path starting with crate/super/self names, or None when outside the crate."""
        segments = [s for s in re.split(r"\s*::\s*", raw.strip()) if s]
        if not segments:
            return None
        here = module
        if segments[0] == "crate":
            base, rest = (), segments[1:]
        elif segments[0] == "self":
            base, rest = here, segments[1:]
        elif segments[0] == "super":
            base, rest = here, segments
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
        else:
            return None
        target = base
        for segment in rest:
            if target + (segment,) in self.modules:
                target = target + (segment,)
                continue
            source = self.reexports.get(target, {}).get(segment)
            if source is not None:
                target = source
            break
        return target

    def collect_reexports(self) -> None:
        for module, text in self.texts.items():
            table = {}
            for m in USE.finditer(text):
                if not m.group(1):
                    continue
                for path in expand_use_tree(m.group(3)):
                    segs = [s for s in path.split("::") if s]
                    if not segs or segs[-1] == "*":
                        continue
                    head = segs[0]
                    if head in ("crate", "super", "self") or module + (head,) in self.modules:
                        if head not in ("crate", "super", "self"):
                            path = "self::" + path
                        source = self.resolve(module, path)
                        if source is not None and source != module:
                            table[segs[-1]] = source
            self.reexports[module] = table

    def edges(self) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
        self.collect_reexports()
        graph: dict[tuple[str, ...], set[tuple[str, ...]]] = {m: set() for m in self.modules}
        for module, text in self.texts.items():
            paths = []
            for m in USE.finditer(text):
                for path in expand_use_tree(m.group(3)):
                    head = path.split("::")[0]
                    if module + (head,) in self.modules:
                        path = "self::" + path  # `use child::Item` in a parent
                    paths.append(path)
            body = USE.sub(" ", text)
            paths += [m.group(1) for m in INLINE.finditer(body)]
            for path in paths:
                target = self.resolve(module, path)
                if target is not None and target != module:
                    graph[module].add(target)
        return graph


def strongly_connected(graph):
    """Tarjan's algorithm; returns the components with more than one module."""
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    for v in graph:
        if v not in index:
            visit(v)
    return out


def crate_targets(root: Path):
    for manifest in sorted(root.glob("crates/*/Cargo.toml")):
        crate_dir = manifest.parent
        roots = [crate_dir / "src/lib.rs", crate_dir / "src/main.rs", *sorted((crate_dir / "src/bin").glob("*.rs"))]
        roots += sorted(crate_dir.glob("tests/*/main.rs"))
        for target in roots:
            if target.exists():
                yield f"{crate_dir.name}:{target.relative_to(crate_dir)}", target


def check(root: Path, report: bool) -> int:
    failures = 0
    for label, target in crate_targets(root):
        crate = Crate(label, target)
        graph = crate.edges()
        for component in strongly_connected(graph):
            failures += 1
            files = sorted(str(crate.modules[m].relative_to(root)) for m in component)
            print(f"module cycle in {label} ({len(files)} files):")
            for f in files:
                print(f"  {f}")
            members = set(component)
            for m in sorted(component):
                for t in sorted(graph[m] & members):
                    print(f"    {crate.modules[m].relative_to(root)} -> {crate.modules[t].relative_to(root)}")
        if report:
            largest = max(crate.modules.values(), key=lambda p: len(p.read_text().splitlines()))
            print(f"{label}: {len(crate.modules)} modules, largest {largest.relative_to(root)} "
                  f"({len(largest.read_text().splitlines())} lines)")
    if failures:
        print(f"{failures} module cycle(s): make the dependency point one way (see CODE_STYLE.md)")
        return 1
    print("module cycles: none in any crate of the workspace")
    return 0


def self_test() -> int:
    """Plants a cycle (a -> b -> a) and a clean tree in a scratch workspace; the check must tell them apart."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        src = root / "crates/demo/src"
        (src / "watch").mkdir(parents=True)
        (root / "crates/demo/Cargo.toml").write_text("[package]\nname = \"demo\"\n")
        (src / "lib.rs").write_text("pub mod a;\npub mod b;\npub mod watch;\n")
        (src / "a.rs").write_text("use crate::b::B;\npub struct A;\n")
        (src / "b.rs").write_text("pub struct B;\n#[cfg(test)]\nmod tests { use crate::a::A; }\n// crate::a::A\n")
        (src / "watch/mod.rs").write_text("mod hub;\npub use hub::Hub;\n")
        (src / "watch/hub.rs").write_text("use crate::b::B;\npub struct Hub;\n")
        if check(root, False) != 0:
            print("self-test: a clean tree (a test-only and a commented path back) was reported as a cycle")
            return 1
        (src / "b.rs").write_text("pub fn b() { let _ = crate::watch::Hub; }\npub struct B;\n")
        (src / "watch/hub.rs").write_text("use super::super::a::A;\npub struct Hub;\n")
        if check(root, False) == 0:
            print("self-test: a planted cycle a -> b -> watch/hub -> a was not found")
            return 1
    print("self-test: the planted cycle was found and the clean tree passed")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--self-test" in args:
        sys.exit(self_test())
    report = "--report" in args
    roots = [a for a in args if not a.startswith("--")]
    sys.exit(check(Path(roots[0]) if roots else Path(__file__).resolve().parent.parent, report))
