#!/usr/bin/env python3
"""Unused dependencies, the way cargo-machete finds them, without compiling a tool in CI.

A dependency of a workspace crate counts as used when its crate name (`-` read as `_`, or the
name it is renamed to) appears as a path or `extern crate` in a Rust file of that crate (src,
tests, benches, examples, build.rs). A dependency that is needed only for its features or its
linking says so in the crate's `[package.metadata.cargo-machete] ignored = [...]`, as for
cargo-machete. Workspace dependencies that no member uses are reported too.

Exit status 1 and a list when something is unused.
"""

import json
import pathlib
import re
import subprocess
import sys


def rust_text(root: pathlib.Path) -> str:
    parts = []
    for path in root.rglob("*.rs"):
        if "target" in path.relative_to(root).parts or "node_modules" in path.parts:
            continue
        parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def used(name: str, text: str) -> bool:
    ident = re.escape(name.replace("-", "_"))
    return re.search(rf"(?<![\w:]){ident}::|extern\s+crate\s+{ident}\b|\buse\s+{ident}\b", text) is not None


def main() -> int:
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    root = pathlib.Path(meta["workspace_root"])
    problems = []
    member_deps = set()
    for pkg in meta["packages"]:
        manifest = pathlib.Path(pkg["manifest_path"])
        ignored = set((pkg.get("metadata") or {}).get("cargo-machete", {}).get("ignored", []))
        text = rust_text(manifest.parent)
        for dep in pkg["dependencies"]:
            member_deps.add(dep["name"])
            if dep.get("path"):
                # A sibling crate of the workspace is checked like any other dependency.
                pass
            name = dep.get("rename") or dep["name"]
            if name in ignored:
                continue
            if not used(name, text):
                kind = dep.get("kind") or "normal"
                problems.append(f"{pkg['name']}: {name} ({kind}) is never used")
        for name in ignored:
            if used(name, text):
                problems.append(f"{pkg['name']}: {name} is used, so it need not be in cargo-machete's ignored list")

    # [workspace.dependencies] keys, read without a TOML parser (tomllib is Python 3.11+).
    table = re.search(r"^\[workspace\.dependencies\]\n(.*?)(?=^\[)", (root / "Cargo.toml").read_text(), re.S | re.M)
    pinned = re.findall(r"^([A-Za-z0-9_-]+)\s*=", table.group(1) if table else "", re.M)
    for name in pinned:
        if name not in member_deps:
            problems.append(f"workspace: {name} is pinned in [workspace.dependencies] but no crate uses it")

    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} unused dependencies", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
