#!/usr/bin/python3
"""Reads the public headers (include/mechanics.h) and writes bindings/abi.json,
a language-neutral description of the C ABI: functions, enums (with option-key
metadata), opaque handles, public structs, callbacks, typedefs and macros.

The headers are run through the C preprocessor with pycparser's fake libc and
with __attribute__ defined away (MECH_API expands to it under GCC). Line
markers are kept so every declaration knows its header, and the doc comment
right above a declaration (or trailing an enumerator) is copied verbatim.

Usage: abi_gen.py [--root DIR] [--out FILE]
"""
import argparse
import ast
import json
import os
import re
import subprocess
import sys

from pycparser import c_ast, c_parser

FAKE_LIBC = "/usr/share/python3-pycparser/fake_libc_include"
SCHEMA_VERSION = 1

# Base type names that are C scalars (or standard typedefs of scalars); any
# other name must be declared in the public headers.
SCALARS = {
    "void", "char", "signed char", "unsigned char", "short", "unsigned short",
    "int", "unsigned int", "long", "unsigned long", "long long",
    "unsigned long long", "float", "double", "_Bool", "bool", "size_t",
    "ptrdiff_t", "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t",
    "uint32_t", "int64_t", "uint64_t", "intptr_t", "uintptr_t",
}


def preprocess(root):
    include = os.path.join(root, "include")
    cmd = ["cpp", "-E", "-nostdinc", "-D__attribute__(x)=", "-D__extension__=",
           "-I", include, "-I", FAKE_LIBC, os.path.join(include, "mechanics.h")]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def public_header(root, path):
    """'mechanics/core.h' for a public header, None for anything else."""
    include = os.path.realpath(os.path.join(root, "include"))
    full = os.path.realpath(os.path.join(root, path))
    if not full.startswith(include + os.sep):
        return None
    return os.path.relpath(full, include)


class Sources:
    """Header text by name, for doc comments and macros."""

    def __init__(self, root):
        self.root = root
        self.lines = {}

    def get(self, header):
        if header not in self.lines:
            with open(os.path.join(self.root, "include", header), encoding="utf-8") as f:
                self.lines[header] = f.read().split("\n")
        return self.lines[header]

    def doc_above(self, header, line):
        """The comment block ending on the line right above `line` (1-based)."""
        lines = self.get(header)
        i = line - 2
        if i < 0 or not lines[i].rstrip().endswith("*/"):
            return ""
        end = i
        while i >= 0 and "/*" not in lines[i]:
            i -= 1
        if i < 0 or not lines[i].lstrip().startswith("/*"):
            return ""
        return clean_comment("\n".join(lines[i:end + 1]))

    def doc_trailing(self, header, line):
        m = re.search(r"/\*(.*?)\*/\s*$", self.get(header)[line - 1])
        return m.group(1).strip() if m else ""


def clean_comment(text):
    text = text.strip()
    text = text[2:] if text.startswith("/*") else text
    text = text[:-2] if text.endswith("*/") else text
    out = []
    for i, ln in enumerate(text.split("\n")):
        ln = ln.strip()
        if i > 0 and ln.startswith("*"):
            ln = ln[1:]
            ln = ln[1:] if ln.startswith(" ") else ln
        out.append(ln.rstrip())
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


class Model:
    """Collects the ABI description while walking the AST."""

    def __init__(self, root):
        self.root = root
        self.src = Sources(root)
        self.headers = set()
        self.functions = {}
        self.enums = {}
        self.handles = {}
        self.structs = {}
        self.callbacks = {}
        self.typedefs = {}

    # ---- types ----
    def category(self, base):
        if base in SCALARS:
            return "scalar"
        if base in self.enums:
            return "enum"
        if base in self.handles:
            return "handle"
        if base in self.structs:
            return "struct"
        if base in self.callbacks:
            return "callback"
        if base in self.typedefs:
            return "typedef"
        raise ValueError(f"type '{base}' is not declared in the public headers")

    def type_of(self, node):
        """{c, base, category, const, pointers, array} for a declarator type."""
        pointers, array = [], []
        while True:
            if isinstance(node, c_ast.PtrDecl):
                pointers.append("const" in node.quals)
                node = node.type
            elif isinstance(node, c_ast.ArrayDecl):
                array.append(self.eval_const(node.dim, {}))
                node = node.type
            else:
                break
        if isinstance(node, c_ast.FuncDecl):
            raise ValueError("inline function-pointer types are not supported: "
                             "use a callback typedef")
        const = "const" in node.quals
        inner = node.type
        if isinstance(inner, c_ast.IdentifierType):
            base = " ".join(inner.names)
        elif isinstance(inner, (c_ast.Struct, c_ast.Enum)):
            base = inner.name
        else:
            raise ValueError(f"unsupported type node {type(inner).__name__}")
        base = {"unsigned": "unsigned int", "signed": "int"}.get(base, base)
        pointers.reverse()  # outermost pointer was seen first
        c = ("const " if const else "") + base
        for pconst in pointers:
            c += " *" + ("const" if pconst else "")
        t = {"c": c.replace("* *", "**"), "base": base, "category": self.category(base),
             "const": const, "pointers": len(pointers)}
        if array:
            t["array"] = array
        return t

    def params_of(self, func):
        params = []
        for i, p in enumerate((func.args.params if func.args else [])):
            if isinstance(p, c_ast.EllipsisParam):
                raise ValueError("variadic functions are not allowed in the ABI")
            t = self.type_of(p.type)
            if t["c"] == "void" and t["pointers"] == 0:
                continue  # f(void)
            params.append({"name": p.name or f"arg{i}", "type": t})
        return params

    @staticmethod
    def eval_const(node, known):
        if isinstance(node, c_ast.Constant):
            return int(node.value.rstrip("uUlL"), 0)
        if isinstance(node, c_ast.ID):
            return known[node.name]
        if isinstance(node, c_ast.UnaryOp) and node.op in "-+~":
            v = Model.eval_const(node.expr, known)
            return {"-": -v, "+": v, "~": ~v}[node.op]
        if isinstance(node, c_ast.BinaryOp):
            a = Model.eval_const(node.left, known)
            b = Model.eval_const(node.right, known)
            ops = {"+": a + b, "-": a - b, "*": a * b, "<<": a << b, ">>": a >> b,
                   "|": a | b, "&": a & b}
            return ops[node.op]
        raise ValueError(f"cannot evaluate constant {node!r}")

    # ---- declarations ----
    def where(self, node):
        header = public_header(self.root, node.coord.file)
        return header, node.coord.line

    def add_enum(self, name, enum, header):
        members, known, nxt = [], dict(self.all_enum_values()), 0
        for e in enum.values.enumerators:
            value = self.eval_const(e.value, known) if e.value is not None else nxt
            known[e.name] = value
            nxt = value + 1
            _, line = self.where(e)
            doc = self.src.doc_above(header, line) or self.src.doc_trailing(header, line)
            members.append({"name": e.name, "value": value, "doc": doc})
        self.enums[name] = {"header": header, "members": members,
                            "doc": self.src.doc_above(header, self.where(enum)[1])}

    def all_enum_values(self):
        for e in self.enums.values():
            for m in e["members"]:
                yield m["name"], m["value"]

    def add_typedef(self, node, header, line):
        name, t = node.name, node.type
        inner = t.type if isinstance(t, c_ast.TypeDecl) else None
        if inner is not None and inner.coord is not None:
            line = min(line, inner.coord.line)  # `typedef struct {` may span lines
        doc = self.src.doc_above(header, line)
        if isinstance(inner, c_ast.Enum):
            self.add_enum(name, inner, header)
            self.enums[name]["doc"] = doc
        elif isinstance(inner, c_ast.Struct) and inner.decls is None:
            self.handles[name] = {"header": header, "doc": doc}
        elif isinstance(inner, c_ast.Struct):
            fields = [{"name": d.name, "type": self.type_of(d.type)} for d in inner.decls]
            self.structs[name] = {"header": header, "doc": doc, "fields": fields}
        elif isinstance(t, c_ast.PtrDecl) and isinstance(t.type, c_ast.FuncDecl):
            fn = t.type
            self.callbacks[name] = {"header": header, "doc": doc,
                                    "returns": self.type_of(fn.type),
                                    "params": self.params_of(fn)}
        else:
            self.typedefs[name] = {"header": header, "doc": doc, "type": self.type_of(t)}

    def add_function(self, node, header, line):
        fn = node.type
        self.functions[node.name] = {
            "header": header, "doc": self.src.doc_above(header, line),
            "returns": self.type_of(fn.type), "params": self.params_of(fn)}

    def walk(self, ast_root):
        for node in ast_root.ext:
            header, line = self.where(node)
            if header is None:
                continue
            if isinstance(node, c_ast.Typedef):
                self.add_typedef(node, header, line)
            elif isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.FuncDecl):
                self.add_function(node, header, line)
            elif isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.Enum):
                self.add_enum(node.type.name, node.type, header)
            elif isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.Struct):
                continue  # a struct tag declared before its typedef
            else:
                raise ValueError(f"{header}:{line}: unsupported declaration")

    # ---- option-key enums ----
    def option_keys(self):
        """Marks every mech_<x>_opt enum with its handle kind and accessors."""
        kinds = {m["name"] for m in self.enums.get("mech_kind", {}).get("members", [])}
        for name, enum in self.enums.items():
            m = re.fullmatch(r"mech_(\w+)_opt", name)
            if not m:
                continue
            stem = m.group(1).upper()
            kind = f"MECH_KIND_{stem}"
            if kind not in kinds:  # e.g. mech_optim_opt -> MECH_KIND_OPTIMIZER
                close = [k for k in kinds if k.startswith(kind) or kind.startswith(k)]
                kind = close[0] if len(close) == 1 else None
            accessors = {}
            for fname, f in self.functions.items():
                am = re.search(r"_((?:set|get)_(?:i64|f64|str))$", fname)
                if am and any(p["type"]["base"] == name for p in f["params"]):
                    accessors[am.group(1)] = fname
            handle = f"mech_{m.group(1)}"
            enum["options"] = {"kind": kind, "accessors": accessors,
                               "handle": handle if handle in self.handles else None}

    # ---- macros ----
    def macros(self):
        out = {}
        for header in sorted(self.headers):
            text = "\n".join(self.src.get(header)).replace("\\\n", " ")
            for m in re.finditer(r"^#define\s+(MECH_\w+)[ \t]+(.+)$", text, re.M):
                value = eval_macro(m.group(2), {k: v["value"] for k, v in out.items()})
                if value is not None:
                    out[m.group(1)] = {"header": header, "value": value}
        return out

    def document(self):
        self.option_keys()
        return {"schema": SCHEMA_VERSION, "headers": sorted(self.headers),
                "macros": self.macros(), "functions": self.functions,
                "enums": self.enums, "handles": self.handles, "structs": self.structs,
                "callbacks": self.callbacks, "typedefs": self.typedefs}


def eval_macro(text, known):
    """Integer, float or string value of a simple object-like macro, else None."""
    text = re.sub(r"/\*.*?\*/", "", text).strip()
    text = re.sub(r"\b(\d+)[uUlL]+\b", r"\1", text)
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None

    def ev(n):
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float, str)):
            return n.value
        if isinstance(n, ast.Name) and n.id in known:
            return known[n.id]
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            return -ev(n.operand)
        if isinstance(n, ast.BinOp):
            a, b = ev(n.left), ev(n.right)
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b,
                   ast.Mult: lambda: a * b, ast.LShift: lambda: a << b,
                   ast.BitOr: lambda: a | b}
            if type(n.op) in ops:
                return ops[type(n.op)]()
        raise ValueError

    try:
        return ev(tree)
    except (ValueError, TypeError):
        return None


def generate(root):
    text = preprocess(root)
    tree = c_parser.CParser().parse(text, filename="mechanics.h")
    model = Model(root)
    for path in re.findall(r'^# \d+ "(.*?)"', text, re.M):
        header = public_header(root, path)
        if header:
            model.headers.add(header)
    model.walk(tree)
    return json.dumps(model.document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..")))
    ap.add_argument("--out", default=None, help="default: <root>/bindings/abi.json")
    args = ap.parse_args()
    out = args.out or os.path.join(args.root, "bindings", "abi.json")
    try:
        text = generate(args.root)
    except (ValueError, subprocess.CalledProcessError) as e:
        sys.exit(f"abi_gen: {e}")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
