#!/usr/bin/env python3
"""Checks that the Dockerfile's runtime stage installs every shared library the binary loads.

There is no Docker engine on the build machines, so the image cannot be built in the tests.
Instead this maps each library `ldd` reports for the built binary to the Debian package that
owns it (`dpkg -S`) and requires:
  * every library the binary itself names (DT_NEEDED) comes from a package listed explicitly
    in the runtime stage's `apt-get install`, or from one of BASE_IMAGE_PACKAGES;
  * every other library ldd reports comes from a package that apt pulls in as a dependency of
    that list (the Depends/Pre-Depends closure, read from the local dpkg database).

Usage:
  check_dockerfile_libs.py [--binary PATH] [--dockerfile PATH]   (defaults: $BATCHWATCH_BIN,
                                                                   $BATCHWATCH_SOURCE_DIR/Dockerfile)
  check_dockerfile_libs.py --self-test [--binary PATH] [--dockerfile PATH]
      proves the check fails when any explicitly listed library package is removed.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

# Packages every debian:bookworm-slim image has (libc6 is required by every Essential package,
# libgcc-s1 by libc6 itself). Everything else is listed explicitly in the Dockerfile.
BASE_IMAGE_PACKAGES = frozenset({"libc6", "libgcc-s1"})
SKIPPED = 77  # CTest's SKIP_RETURN_CODE


class Stage:
    def __init__(self, base, name):
        self.base = base
        self.name = name
        self.instructions = []  # (KEYWORD, argument text)


def parse_dockerfile(text):
    """Returns the stages of a Dockerfile, joining continuation lines and dropping comments."""
    stages = []
    logical = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not logical and (not line or line.startswith("#")):
            continue
        if logical and line.startswith("#"):
            continue  # comment lines inside a continued instruction are ignored by Docker too
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        keyword, _, args = logical.strip().partition(" ")
        keyword = keyword.upper()
        logical = ""
        if keyword == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--")]
            if not words:
                raise ValueError("FROM without an image")
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif keyword:
            if not stages:
                if keyword == "ARG":
                    continue
                raise ValueError(f"{keyword} before the first FROM")
            stages[-1].instructions.append((keyword, args.strip()))
    if logical:
        raise ValueError("Dockerfile ends inside a continued line")
    if not stages:
        raise ValueError("Dockerfile has no FROM")
    return stages


def apt_installed_packages(stage):
    """Package names given to `apt-get install` / `apt install` in the stage's RUN lines."""
    packages = []
    for keyword, args in stage.instructions:
        if keyword != "RUN":
            continue
        tokens = shlex.split(args, comments=False)
        command = []
        for token in tokens + [";"]:
            if token in ("&&", ";", "||", "|"):
                packages.extend(_install_args(command))
                command = []
            else:
                command.append(token)
    return packages


def _install_args(command):
    for i, word in enumerate(command):
        if word in ("apt-get", "apt") and "install" in command[i + 1:]:
            after = command[command.index("install", i + 1) + 1:]
            return [w.split("=")[0] for w in after if not w.startswith("-")]
    return []


def ldd(binary):
    """[(soname, resolved path)] for every library ldd reports; raises on missing libraries."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"ldd {binary} failed: {out.stderr.strip() or out.stdout.strip()}")
    libs = []
    for line in out.stdout.splitlines():
        line = line.strip()
        if "=>" in line:
            soname, _, rest = line.partition("=>")
            path = rest.strip().split(" (")[0].strip()
            if path == "not found":
                raise RuntimeError(f"ldd {binary}: {soname.strip()} not found on this machine")
            libs.append((soname.strip(), path))
        elif line.startswith("/"):
            path = line.split(" (")[0]
            libs.append((os.path.basename(path), path))
        # linux-vdso.so.1 has no file: the kernel provides it.
    return libs


def needed_sonames(binary):
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True)
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out.stdout))


def owner_packages(paths):
    """{path: Debian package shipping it, or None}, trying the merged-/usr spellings dpkg knows."""
    spellings = {}
    for path in paths:
        real = os.path.realpath(path)
        candidates = []
        for p in (path, real):
            candidates += [p, p[len("/usr"):] if p.startswith("/usr/") else "/usr" + p]
        spellings[path] = list(dict.fromkeys(candidates))
    queried = sorted({c for cs in spellings.values() for c in cs})
    # dpkg -S exits non-zero when some spelling is unknown; the known ones are still printed.
    out = subprocess.run(["dpkg", "-S"] + queried, capture_output=True, text=True)
    owner_of = {}
    for line in out.stdout.splitlines():
        owners, _, owned = line.partition(": ")
        if not owners.startswith("diversion"):
            owner_of[owned.strip()] = owners.split(",")[0].strip().split(":")[0]
    return {path: next((owner_of[c] for c in cs if c in owner_of), None)
            for path, cs in spellings.items()}


class DpkgDatabase:
    """Installed packages with their Depends/Pre-Depends and Provides."""

    def __init__(self):
        fmt = "${Package}\t${Status}\t${Pre-Depends}\t${Depends}\t${Provides}\n"
        out = subprocess.run(["dpkg-query", "-W", "-f", fmt], capture_output=True, text=True,
                             check=True)
        self.depends = {}
        self.provided_by = {}
        for line in out.stdout.splitlines():
            name, status, pre, dep, provides = (line.split("\t") + [""] * 5)[:5]
            if not status.endswith(" installed"):
                continue
            self.depends[name] = _parse_relations(pre) + _parse_relations(dep)
            for group in _parse_relations(provides):
                for provided in group:
                    self.provided_by.setdefault(provided, []).append(name)

    def resolve(self, name):
        if name in self.depends:
            return name
        for provider in self.provided_by.get(name, []):
            return provider
        return None

    def closure(self, roots):
        seen = set()
        todo = [r for r in roots]
        while todo:
            pkg = self.resolve(todo.pop())
            if pkg is None or pkg in seen:
                continue
            seen.add(pkg)
            for alternatives in self.depends.get(pkg, []):
                chosen = next((a for a in alternatives if self.resolve(a)), None)
                if chosen:
                    todo.append(chosen)
        return seen


def _parse_relations(field):
    groups = []
    for group in field.split(","):
        names = [re.sub(r"\(.*?\)|\[.*?\]|<.*?>", "", alt).strip().split(":")[0]
                 for alt in group.split("|")]
        names = [n for n in names if n]
        if names:
            groups.append(names)
    return groups


def check(libs, needed, listed, owners, db):
    """Returns human-readable problems; empty when the runtime stage covers every library."""
    problems = []
    listed = set(listed)
    covered = db.closure(listed | BASE_IMAGE_PACKAGES)
    for soname, path in libs:
        pkg = owners.get(path)
        if pkg is None:
            problems.append(f"{soname} ({path}) belongs to no Debian package: the image cannot "
                            "install it with apt")
        elif soname in needed and pkg not in listed and pkg not in BASE_IMAGE_PACKAGES:
            problems.append(f"{soname} is linked directly by the binary and comes from package "
                            f"{pkg}, which the runtime stage does not install: add {pkg} to its "
                            "apt-get install list")
        elif pkg not in covered:
            problems.append(f"{soname} comes from package {pkg}, which neither the runtime "
                            f"stage's apt-get install list nor its dependencies provide: add {pkg}")
    return problems


def runtime_packages(dockerfile_text):
    stages = parse_dockerfile(dockerfile_text)
    return apt_installed_packages(stages[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.environ.get("BATCHWATCH_BIN"))
    parser.add_argument("--dockerfile")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if not args.binary:
        parser.error("no binary: pass --binary or set BATCHWATCH_BIN")
    if not os.path.isfile(args.binary):
        print(f"FAIL: binary {args.binary} does not exist (build the batchwatch target first)")
        return 1
    dockerfile = args.dockerfile or os.path.join(
        os.environ.get("BATCHWATCH_SOURCE_DIR", "."), "Dockerfile")
    try:
        with open(dockerfile, encoding="utf-8") as f:
            text = f.read()
        listed = runtime_packages(text)
        libs = ldd(args.binary)
        needed = needed_sonames(args.binary)
    except (OSError, ValueError, RuntimeError, subprocess.CalledProcessError) as e:
        print(f"FAIL: {e}")
        return 1
    sanitizers = [s for s, _ in libs if re.match(r"lib(asan|ubsan|tsan|lsan)\.so", s)]
    if sanitizers:
        # The image is built without sanitizers; their runtimes are not a runtime dependency.
        print(f"skipped: {args.binary} is a sanitizer build ({', '.join(sanitizers)})")
        return SKIPPED
    owners = owner_packages([path for _, path in libs])
    db = DpkgDatabase()

    print(f"runtime stage installs: {' '.join(listed)}")
    for soname, path in libs:
        print(f"  {soname:32} {owners[path] or '?':28} {'direct' if soname in needed else ''}")

    if not args.self_test:
        problems = check(libs, needed, listed, owners, db)
        for p in problems:
            print(f"FAIL: {p}")
        print("1 passed, 0 failed" if not problems else "0 passed, 1 failed")
        return 1 if problems else 0

    # Self-test: the real list passes, and dropping any package that ships a library the binary
    # links directly makes the check name that package.
    cases = [("runtime list as written", listed, None)]
    direct = sorted({owners[p] for s, p in libs if s in needed} - BASE_IMAGE_PACKAGES - {None})
    for pkg in direct:
        cases.append((f"runtime list without {pkg}", [p for p in listed if p != pkg], pkg))
    passed = failed = 0
    for name, packages, dropped in cases:
        problems = check(libs, needed, packages, owners, db)
        ok = not problems if dropped is None else any(dropped in p for p in problems)
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(problems)} problem(s)")
        for p in problems if not ok else []:
            print(f"     {p}")
    if len(direct) < 3:
        print(f"FAIL: only {len(direct)} directly linked packages found; expected the exporter's "
              "libraries (prometheus-cpp, civetweb, curl, ...)")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
