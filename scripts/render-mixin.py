#!/usr/bin/env python3
"""Renders the batchwatch monitoring mixin (mixin/, jsonnet) into the files the repository
ships: alerts/batchwatch.rules.yml, deploy/prometheusrule.yaml and dashboards/*.json for one
cluster, and the same under mixin/out-multicluster/ with showMultiCluster: true.

jsonnet (Debian's `jsonnet`, C++) evaluates mixin/render.jsonnet to data; this script writes
YAML (block scalars for PromQL, keys in the order Prometheus documents them) and JSON. Python 3
standard library only.

Usage:
  render-mixin.py                 rewrite the rendered files
  render-mixin.py --check         exit 1, naming each stale file with a diff, if any differs
  render-mixin.py --root DIR [--check]     the same for a copy of the tree in DIR
  render-mixin.py --out-dir DIR --config JSON [--multicluster]
                                  render into DIR with _config overrides (tests)
"""

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIXIN = os.path.join(ROOT, "mixin")
KEY_ORDER = ["apiVersion", "kind", "metadata", "name", "interval", "record", "alert", "expr",
             "for", "labels", "annotations", "summary", "description", "runbook_url", "spec",
             "groups", "rules"]
PLAIN = re.compile(r"^[A-Za-z0-9_.(/$][^\n]*$")
NOT_PLAIN = re.compile(r": |\s#|:$|\s$|^(true|false|yes|no|on|off|null|~)$|^[-+]?[0-9.]", re.I)


class RenderError(Exception):
    pass


def scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if PLAIN.match(value) and not NOT_PLAIN.search(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def ordered(d):
    return sorted(d, key=lambda k: (KEY_ORDER.index(k) if k in KEY_ORDER else len(KEY_ORDER), k))


def emit(value, indent, out):
    """Appends the YAML lines of a mapping or sequence value at `indent` spaces."""
    pad = " " * indent
    if isinstance(value, dict):
        for key in ordered(value):
            item(pad + scalar(key) + ":", value[key], indent, out)
    else:
        for v in value:
            if isinstance(v, dict) and v:
                first = True
                for key in ordered(v):
                    prefix = (pad + "- ") if first else (pad + "  ")
                    item(prefix + scalar(key) + ":", v[key], indent + 2, out)
                    first = False
            else:
                item(pad + "-", v, indent + 2, out)


def item(head, value, indent, out):
    if isinstance(value, str) and "\n" in value:
        chomp = "" if value.endswith("\n") else "-"
        out.append(head + " |" + chomp)
        for line in value.rstrip("\n").split("\n"):
            out.append((" " * (indent + 2) + line) if line else "")
    elif isinstance(value, (dict, list)) and value:
        out.append(head)
        emit(value, indent + 2, out)
    elif isinstance(value, (dict, list)):
        out.append(head + (" {}" if isinstance(value, dict) else " []"))
    else:
        out.append(head + " " + scalar(value))


def to_yaml(data):
    out = []
    emit(data, 0, out)
    return "\n".join(out) + "\n"


def evaluate(multicluster, overrides, out_dir):
    argv = ["jsonnet", "-J", MIXIN, "--tla-code", "multicluster=" + json.dumps(multicluster),
            "--tla-code", "overrides=" + json.dumps(overrides)]
    if out_dir:
        argv += ["--tla-str", "out=" + out_dir.rstrip("/") + "/"]
    argv.append(os.path.join(MIXIN, "render.jsonnet"))
    if not shutil.which("jsonnet"):
        raise RenderError("jsonnet not found: install Debian's jsonnet (scripts/setup.sh)")
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RenderError("jsonnet failed:\n" + proc.stderr.strip())
    return json.loads(proc.stdout)


def render(multicluster, overrides=None, out_dir=None):
    """{path: text} of every rendered file."""
    what = "mixin/ with showMultiCluster: true" if multicluster else "mixin/"
    files = {}
    for path, spec in evaluate(multicluster, overrides or {}, out_dir).items():
        if spec["format"] == "json":
            files[path] = json.dumps(spec["data"], indent=2) + "\n"
            continue
        header = "# Generated from %s by scripts/render-mixin.py: do not edit.\n# %s\n" % (
            what, spec["comment"])
        if spec.get("document_start"):
            header += "---\n"
        files[path] = header + to_yaml(spec["data"])
    return files


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; fail if a committed file differs")
    parser.add_argument("--out-dir", help="render into this directory (with --config)")
    parser.add_argument("--config", default="{}", help="JSON object merged into _config")
    parser.add_argument("--multicluster", action="store_true", help="with --out-dir")
    parser.add_argument("--root", default=ROOT,
                        help="tree the repository paths are relative to (default: this checkout)")
    args = parser.parse_args(argv)
    try:
        overrides = json.loads(args.config)
        if not isinstance(overrides, dict):
            raise ValueError("not a JSON object")
    except ValueError as e:
        print("render-mixin: --config: %s" % e, file=sys.stderr)
        return 2
    try:
        if args.out_dir:
            files = render(args.multicluster, overrides, args.out_dir)
        else:
            files = {**render(False, overrides), **render(True, overrides)}
    except RenderError as e:
        print("render-mixin: %s" % e, file=sys.stderr)
        return 2
    stale = []
    for path, text in sorted(files.items()):
        full = path if os.path.isabs(path) else os.path.join(args.root, path)
        if args.check:
            try:
                with open(full, encoding="utf-8") as f:
                    current = f.read()
            except OSError:
                current = ""
            if current != text:
                stale.append(path)
                sys.stderr.writelines(list(difflib.unified_diff(
                    current.splitlines(True), text.splitlines(True),
                    fromfile=path, tofile="rendered from mixin/"))[:60])
            continue
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)
    if stale:
        print("render-mixin: out of date (run python3 scripts/render-mixin.py): " +
              ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
