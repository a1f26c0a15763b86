#!/usr/bin/env python3
"""Checks the Dockerfile's shape without a Docker engine: a Debian multi-stage build that uses
scripts/setup.sh, and a runtime stage that is slim, non-root, read-only-root friendly and exposes
the metrics port. Also pins the Dockerfile parser the library check relies on, and proves each
policy rule fails on a Dockerfile that breaks it.

Usage: check_dockerfile_policy.py [DOCKERFILE]   (default $BATCHWATCH_SOURCE_DIR/Dockerfile)
"""

import os
import re
import sys

from check_dockerfile_libs import apt_installed_packages, parse_dockerfile

METRICS_PORT = "9981"
STATE_DIR = "/var/lib/batchwatch"
BUILD_ONLY_PACKAGES = ("build-essential", "cmake", "ninja-build", "g++", "gcc", "git", "pkg-config")


def policy_problems(text):
    try:
        stages = parse_dockerfile(text)
    except ValueError as e:
        return [f"cannot parse: {e}"]
    problems = []
    if len(stages) < 2:
        return ["not a multi-stage build: expected a build stage and a runtime stage"]
    build, runtime = stages[0], stages[-1]

    def has(stage, keyword, pattern):
        return any(k == keyword and re.search(pattern, a) for k, a in stage.instructions)

    for stage in stages:
        if not re.fullmatch(r"debian:bookworm(-slim)?(@sha256:[0-9a-f]{64})?", stage.base) \
                and stage.base not in {s.name for s in stages if s.name}:
            problems.append(f"stage {stage.name or stage.base} is not based on debian:bookworm")
    if not runtime.base.startswith("debian:bookworm-slim"):
        problems.append("runtime stage must be based on debian:bookworm-slim")
    if not has(build, "RUN", r"scripts/setup\.sh"):
        problems.append("build stage does not install its packages with scripts/setup.sh")
    if not has(build, "RUN", r"\bcmake\b.*--target batchwatch|\bcmake --build\b"):
        problems.append("build stage does not build with cmake")

    packages = apt_installed_packages(runtime)
    for required in ("tzdata", "ca-certificates"):
        if required not in packages:
            problems.append(f"runtime stage does not install {required}")
    for pkg in packages:
        if pkg.endswith("-dev") or pkg in BUILD_ONLY_PACKAGES:
            problems.append(f"runtime stage installs build-only package {pkg}")
    if packages and not has(runtime, "RUN", r"rm -rf /var/lib/apt/lists"):
        problems.append("runtime stage keeps the apt lists (rm -rf /var/lib/apt/lists/*)")
    if not has(runtime, "COPY", r"--from=\S+\s+\S*/batchwatch\s"):
        problems.append("runtime stage does not copy the batchwatch binary from the build stage")

    users = [a for k, a in runtime.instructions if k == "USER"]
    if not users:
        problems.append("runtime stage runs as root: add USER with a numeric uid")
    else:
        m = re.fullmatch(r"(\d+)(?::(\d+))?", users[-1])
        if not m:
            problems.append(f"USER {users[-1]} is not numeric (runAsNonRoot needs a numeric uid)")
        elif int(m.group(1)) == 0 or (m.group(2) is not None and int(m.group(2)) == 0):
            problems.append(f"USER {users[-1]} is root")
        elif not has(runtime, "RUN", rf"chown {m.group(1)}\S* {re.escape(STATE_DIR)}"):
            problems.append(f"{STATE_DIR} is not owned by uid {m.group(1)}: the state file "
                            "cannot be written")
    if not has(runtime, "VOLUME", re.escape(STATE_DIR)):
        problems.append(f"runtime stage does not declare VOLUME {STATE_DIR} (read-only root)")
    if not has(runtime, "EXPOSE", rf"\b{METRICS_PORT}\b"):
        problems.append(f"runtime stage does not EXPOSE {METRICS_PORT}")
    entry = [a for k, a in runtime.instructions if k == "ENTRYPOINT"]
    if not entry or not entry[-1].startswith("["):
        problems.append("ENTRYPOINT must be in exec form so batchwatch receives SIGTERM")
    return problems


PARSER_CASES = [
    ("continuations, comments and version pins",
     "FROM debian:bookworm AS build\nRUN true\nFROM debian:bookworm-slim\n"
     "RUN apt-get update && apt-get install -y --no-install-recommends \\\n  a \\\n"
     "  # a comment inside the list\n  b=1.0 \\\n && rm -rf /var/lib/apt/lists/*\n", ["a", "b"]),
    ("apt install after a semicolon", "FROM x\nRUN apt update; apt install -y c\n", ["c"]),
    ("several RUN lines", "FROM x\nRUN apt-get install -y d\nRUN apt-get install e f\n",
     ["d", "e", "f"]),
    ("build stage packages are not the runtime's",
     "FROM x AS build\nRUN apt-get install -y foo-dev\nFROM y\nRUN apt-get install -y rt\n",
     ["rt"]),
    ("no install at all", "FROM x\nRUN echo apt-get\n", []),
]


def mutate(text, old, new):
    if old not in text:
        raise AssertionError(f"mutation anchor {old!r} not in the Dockerfile")
    return text.replace(old, new, 1)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.environ.get("BATCHWATCH_SOURCE_DIR", "."), "Dockerfile")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        print(f"FAIL: {e}")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0

    def report(ok, name, detail=""):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")

    for name, dockerfile, expected in PARSER_CASES:
        got = apt_installed_packages(parse_dockerfile(dockerfile)[-1])
        report(got == expected, f"parser: {name}", f"got {got}, want {expected}")
    for name, bad in [("RUN before FROM", "RUN true\n"), ("empty", "# nothing\n"),
                      ("dangling continuation", "FROM x\nRUN a \\\n")]:
        try:
            parse_dockerfile(bad)
            report(False, f"parser rejects {name}", "no error")
        except ValueError:
            report(True, f"parser rejects {name}")

    problems = policy_problems(text)
    report(not problems, f"{path} follows the image policy", "; ".join(problems))

    # Each rule must catch the Dockerfile that breaks it: (name, mutated text, expected words).
    try:
        mutations = [
            ("root user", mutate(text, "USER 65532:65532", "USER 0:0"), "is root"),
            ("named user", mutate(text, "USER 65532:65532", "USER nobody"), "not numeric"),
            ("no user", mutate(text, "USER 65532:65532\n", ""), "runs as root"),
            ("no tzdata", mutate(text, "      tzdata \\\n", ""), "tzdata"),
            ("no ca-certificates", mutate(text, "      ca-certificates \\\n", ""),
             "ca-certificates"),
            ("dev package at runtime", mutate(text, "      zlib1g \\\n", "      zlib1g-dev \\\n"),
             "build-only package zlib1g-dev"),
            ("port not exposed", mutate(text, f"EXPOSE {METRICS_PORT}", "EXPOSE 8080"),
             f"EXPOSE {METRICS_PORT}"),
            ("no state volume", mutate(text, f'VOLUME ["{STATE_DIR}"]\n', ""), "VOLUME"),
            ("state dir not chowned", mutate(text, "chown 65532:65532", "chmod 0755"),
             "not owned"),
            ("setup script unused", mutate(text, "/src/scripts/setup.sh --build-only",
                                           "apt-get update"), "setup.sh"),
            ("fat runtime base", mutate(text, "FROM debian:bookworm-slim AS runtime",
                                        "FROM debian:bookworm AS runtime"), "bookworm-slim"),
            ("single stage", text[text.index("FROM debian:bookworm-slim AS runtime"):],
             "multi-stage"),
            ("shell-form entrypoint", mutate(text, 'ENTRYPOINT ["/usr/local/bin/batchwatch"]',
                                             "ENTRYPOINT /usr/local/bin/batchwatch"), "exec form"),
        ]
    except AssertionError as e:
        report(False, "mutations apply to the Dockerfile", str(e))
        mutations = []
    for name, mutated, words in mutations:
        found = policy_problems(mutated)
        report(any(words in p for p in found), f"policy catches {name}",
               f"problems were {found}")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
