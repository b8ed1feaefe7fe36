#!/usr/bin/env python3
"""module-graph.py: calls run one way between a program's modules.

A module is a .c file and the .h of the same name in one directory (server/conn.c and
server/conn.h are the module "conn"). Module A depends on module B when a file of A includes
B's header with #include "..." (a local include). The script prints the dependency graph of each
directory it is given and exits 1 if any directory's graph has a cycle, naming it:
a module that includes (and so calls) a module which, directly or through others, includes it
back. Headers without a .c (types only, e.g. config.h) are modules too.

usage: scripts/module-graph.py [--quiet] DIR...   (e.g. server loadgen common)
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def graph(d):
    mods = {}
    for f in sorted(os.listdir(d)):
        stem, ext = os.path.splitext(f)
        if ext not in (".c", ".h"):
            continue
        with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        deps = mods.setdefault(stem, set())
        for inc in INCLUDE.findall(text):
            if "/" in inc:
                continue
            istem, iext = os.path.splitext(inc)
            if iext == ".h" and os.path.exists(os.path.join(d, inc)) and istem != stem:
                deps.add(istem)
    return mods


def cycles(mods):
    found = []
    state = {}
    stack = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(mods.get(m, ())):
            if state.get(n) == 1:
                found.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(mods):
        if m not in state:
            visit(m)
    return found


def main(argv):
    quiet = "--quiet" in argv
    dirs = [a for a in argv if a != "--quiet"]
    if not dirs:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    bad = 0
    for d in dirs:
        if not os.path.isdir(d):
            print(f"module-graph: {d}: not a directory", file=sys.stderr)
            return 2
        mods = graph(d)
        if not quiet:
            print(f"{d}:")
            for m in sorted(mods):
                print(f"  {m} -> {', '.join(sorted(mods[m])) or '(nothing)'}")
        for c in cycles(mods):
            bad += 1
            print(f"module-graph: {d}: cycle: {' -> '.join(c)}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
