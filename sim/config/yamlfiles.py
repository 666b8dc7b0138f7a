"""Checks of the YAML files in a config folder before Hydra loads them.

Hydra and OmegaConf load YAML safely (no code), but a file can still hang or blow up a run
(an alias bomb: a few lines of ``&a`` / ``*a`` that expand to billions of values), and their
messages for duplicate keys and tabs name neither the config field nor, through Hydra, always
the file. :func:`check_config_dir` looks at every ``*.yaml`` file of a folder first and raises
:class:`ConfigError` with ``file:line: problem (field ...)``:

- a file larger than :data:`MAX_BYTES`, or not UTF-8;
- YAML syntax errors, such as a tab in the indentation;
- a key given twice in one mapping;
- aliases that expand to more than :data:`MAX_NODES` values.

Files are only *composed* here (the node graph: an alias is one shared node, so a bomb costs
nothing); nothing is constructed.

:func:`use_libyaml_for_omegaconf` makes OmegaConf (and so Hydra) parse YAML with libyaml's C
parser, with OmegaConf's own resolvers, constructors and duplicate-key check: the same
configs (``tests/test_yamlfiles.py`` loads every shipped file both ways), the parsing some 8x
faster: 0.03-0.05 s of every compose.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from sim.config.checks import ConfigError

MAX_BYTES = 1 << 20  # ASSUMPTION: a config file of a megabyte is already far larger than ours
MAX_NODES = 100_000  # values after alias expansion (the largest shipped file has ~1,500)
MAX_FILES = 2_000  # a config folder with more YAML files than this is not a config folder

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEY = re.compile(r"^([ \t]*)(?:-\s+)?([^\s#:'\"][^:#]*?|'[^']*'|\"[^\"]*\")\s*:(\s|$)")
_PACKAGE = re.compile(r"#\s*@package\s+(\S+)")


def _libyaml_loader(python_loader: type) -> type:
    """``python_loader`` (OmegaConf's, on PyYAML's pure-Python ``SafeLoader``) on libyaml's
    C parser: the same implicit resolvers and constructors, the same duplicate-key error."""

    class OmegaConfCLoader(yaml.CSafeLoader):
        def construct_mapping(self, node: yaml.Node, deep: bool = False):
            keys = set()  # OmegaConf's check: a key given twice in one mapping is an error
            for key_node, _ in node.value:
                if key_node.tag != yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG:
                    continue
                if key_node.value in keys:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key_node.value}",
                        key_node.start_mark,
                    )
                keys.add(key_node.value)
            return super().construct_mapping(node, deep=deep)

    OmegaConfCLoader.yaml_implicit_resolvers = {
        k: list(v) for k, v in python_loader.yaml_implicit_resolvers.items()
    }
    OmegaConfCLoader.yaml_constructors = dict(python_loader.yaml_constructors)
    return OmegaConfCLoader


def use_libyaml_for_omegaconf() -> bool:
    """Have ``OmegaConf.load``/``create`` (what Hydra's compose calls) parse YAML with the C
    parser (see the module docstring); False, and nothing changed, without libyaml."""
    from omegaconf import _utils

    if not hasattr(yaml, "CSafeLoader") or not hasattr(_utils, "get_yaml_loader"):
        return False  # no libyaml, or an OmegaConf without this hook: its own loader stays
    original = getattr(_utils.get_yaml_loader, "python_loader", _utils.get_yaml_loader)
    loader = _libyaml_loader(original())  # (OmegaConf builds its class anew on every call)

    def get_yaml_loader() -> type:
        return loader

    get_yaml_loader.python_loader = original  # type: ignore[attr-defined]
    _utils.get_yaml_loader = get_yaml_loader
    return True


def check_config_dir(folder: Path) -> dict[Path, str]:
    """Check every YAML file below ``folder`` (see the module docstring).

    What could exhaust memory or time (size, alias bombs) raises at once, whichever file it is
    in: Hydra may load any of them. Syntax errors and duplicate keys matter only in a file
    the config uses, so they are returned (resolved path -> one-line message) for the caller
    to report when that file fails to load.
    """
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix in (".yaml", ".yml"))
    if len(files) > MAX_FILES:
        raise ConfigError(f"{folder}: more than {MAX_FILES} YAML files; not a config folder")
    problems = {}
    for p in files:
        rel = p.relative_to(folder)
        try:
            check_yaml_file(p, ".".join(rel.parent.parts))
        except _Recoverable as exc:
            problems[p.resolve()] = str(exc)
    return problems


class _Recoverable(ConfigError):
    """A problem that matters only if the file is loaded (syntax, duplicate key)."""


def check_yaml_file(path: Path, package: str = "") -> None:
    """One YAML file; ``package`` is where its keys land in the config (e.g. ``district``)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_BYTES >> 20} MB; not a config file")
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    head = _PACKAGE.search("\n".join(text.splitlines()[:5]))
    if head:
        package = "" if head.group(1) == "_global_" else head.group(1).replace("_group_", package)
    lines = text.splitlines()
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line if mark is not None else 0
        problem = (exc.problem or exc.context or "YAML error").strip()
        if 0 <= line < len(lines) and "\t" in lines[line]:
            problem = "a tab character; indent with spaces"
        where = _field_at(lines, line, package)
        raise _Recoverable(f"{path}:{line + 1}: {problem}{where}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {str(exc).splitlines()[0]}") from None
    if root is None:
        return
    _duplicates(root, path, package)
    sizes: dict[int, int] = {}
    try:
        total = _size(root, sizes)
    except ConfigError as exc:
        raise ConfigError(f"{path}:{str(exc).removeprefix('line ')}") from None
    if total > MAX_NODES:
        node, keys = _biggest(root, sizes)
        field = ".".join(k for k in (package, *keys) if k)
        raise ConfigError(
            f"{path}:{node.start_mark.line + 1}: aliases expand to more than {MAX_NODES:,} "
            f"values (field {field or '<root>'}); not a config file"
        )


def _field_at(lines: list[str], line: int, package: str) -> str:
    """`` (field a.b.c)`` for the key on ``line`` and its parents by indentation, or ''."""
    keys: list[str] = []
    indent = None
    for i in range(min(line, len(lines) - 1), -1, -1):
        m = _KEY.match(lines[i])
        if not m:
            continue
        width = len(m.group(1).expandtabs(1))
        if indent is None or width < indent:
            keys.append(m.group(2).strip("'\""))
            indent = width
            if width == 0:
                break
    path = ".".join(k for k in (package, *reversed(keys)) if k)
    return f" (field {path})" if path else ""


def _duplicates(node: yaml.Node, path: Path, package: str, keys: tuple = ()) -> None:
    seen: set[int] = set()
    stack = [(node, keys)]
    while stack:
        cur, ks = stack.pop()
        if id(cur) in seen:  # an alias: already checked
            continue
        seen.add(id(cur))
        if isinstance(cur, yaml.MappingNode):
            names: set[str] = set()
            for k, v in cur.value:
                name = str(k.value) if isinstance(k, yaml.ScalarNode) else "<complex key>"
                if name in names and name != "<<":
                    field = ".".join(x for x in (package, *ks, name) if x)
                    raise _Recoverable(
                        f"{path}:{k.start_mark.line + 1}: duplicate key '{name}' (field {field})"
                    )
                names.add(name)
                stack.append((v, (*ks, name)))
        elif isinstance(cur, yaml.SequenceNode):
            stack.extend((v, (*ks, f"[{i}]")) for i, v in enumerate(cur.value))


def _size(root: yaml.Node, memo: dict[int, int]) -> int:
    """Values ``root`` expands to (aliases counted each time), memoised by node identity.

    Iterative depth-first search (deep nesting cannot overflow the stack); a recursive alias
    (a node that contains itself) is refused.
    """
    visiting: set[int] = set()
    stack = [(root, False)]
    while stack:
        cur, leaving = stack.pop()
        if leaving:
            total = 1
            for c in _children(cur):
                if id(c) not in memo:
                    raise ConfigError(
                        f"line {c.start_mark.line + 1}: a recursive YAML alias; not a config file"
                    )
                total += memo[id(c)]
            memo[id(cur)] = min(total, 10 * MAX_NODES)  # enough to know it is too big
            continue
        if id(cur) in memo or id(cur) in visiting:
            continue
        visiting.add(id(cur))
        stack.append((cur, True))
        stack.extend((c, False) for c in _children(cur) if id(c) not in memo)
    return memo[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [x for kv in node.value for x in kv]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _biggest(node: yaml.Node, sizes: dict[int, int]) -> tuple[yaml.Node, list[str]]:
    """The deepest node that alone still exceeds the limit, and its key path."""
    keys: list[str] = []
    while True:
        if isinstance(node, yaml.MappingNode):
            items = [(str(getattr(k, "value", "?")), v) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            items = [(f"[{i}]", v) for i, v in enumerate(node.value)]
        else:
            return node, keys
        big = [(k, v) for k, v in items if sizes.get(id(v), 1) > MAX_NODES]
        if not big:
            return node, keys
        key, node = big[0]
        keys.append(key)
