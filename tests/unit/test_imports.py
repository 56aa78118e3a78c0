"""The house's import rules, read from the code (no database, nothing imported or run).

- No import circles among the project's modules.
- accounts knows nothing of the domain (deliberation, meetings); deliberation does not import
  meetings; plumbing imports none of the three, and they reach it through its face
  (plumbing.prepared, plumbing.fragments, plumbing.batching, plumbing.fanout,
  plumbing.processes).
- An import inside a function says why in a comment on its line or the line above (a heavy
  library loaded only when needed, AppConfig.ready, ...). LOCAL_IMPORTS_WITHOUT_A_WHY lists
  the files that had such imports when the rule came; their counts may only go down.

`python -m tests.unit.test_imports` prints the graph's facts and the circles, if any;
`--mermaid` draws the arrows between the rooms (docs/development.md).
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("accounts", "config", "deliberation", "meetings", "plumbing")
DOMAIN = ("accounts", "deliberation", "meetings")
PLUMBING_FACE = {
    "plumbing",
    "plumbing.prepared",
    "plumbing.fragments",
    "plumbing.batching",
    "plumbing.fanout",
    "plumbing.processes",
    "plumbing.weasyprint_speedups",
}
FORBIDDEN = {
    ("accounts", "deliberation"),
    ("accounts", "meetings"),
    ("deliberation", "meetings"),
    ("plumbing", "accounts"),
    ("plumbing", "deliberation"),
    ("plumbing", "meetings"),
}

# Files with function-local imports of project modules that give no reason, when the rule came.
LOCAL_IMPORTS_WITHOUT_A_WHY = {
    "deliberation.documents.ballots": 1,
    "deliberation.forms.execution": 1,
    "deliberation.forms.topics": 1,
    "deliberation.jobs": 1,
    "deliberation.management.commands.opinion_map": 2,
    "deliberation.services.kpi": 1,
    "deliberation.services.opinions": 1,
    "deliberation.templatetags.execution_tags": 1,
    "deliberation.views.documents": 1,
    "deliberation.views.jobs": 1,
    "meetings.models": 1,
}


def modules():
    """{dotted module name: path} of the project's modules."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _resolve(name, known):
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(known=None):
    """[(module, imported module, line, inside a function, has a comment)] for every import of
    a project module; `from package import name` counts as importing package.name when that
    is a module, else the package."""
    known = known or modules()
    found = []
    for module, path in known.items():
        source = path.read_text()
        lines = source.splitlines()
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]

        def visit(node, in_function, module=module, package=package, lines=lines):
            for child in ast.iter_child_nodes(node):
                inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                if isinstance(child, ast.Import):
                    names = [alias.name for alias in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        parts = package.split(".")
                        parts = parts[: len(parts) - child.level + 1]
                        base = ".".join([*parts, base] if base else parts)
                    names = [
                        f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                        for a in child.names
                    ]
                else:
                    visit(child, inner)
                    continue
                start, end = child.lineno, child.end_lineno
                said = any("#" in lines[n - 1] for n in range(max(1, start - 1), end + 1))
                for name in names:
                    target = _resolve(name, known)
                    if target and target != module:
                        found.append((module, target, start, in_function, said))

        visit(ast.parse(source), False)
    return found


def circles(edges):
    """Strongly connected groups of two modules or more (Tarjan), each sorted."""
    graph = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    counter = [0]

    def strong(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                strong(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                group.append(other)
                if other == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            strong(node)
    return groups


def _top(module):
    return module.split(".")[0]


def test_no_module_imports_itself_round_a_circle():
    edges = {(source, target) for source, target, *_ in imports()}
    assert circles(edges) == []


def test_accounts_knows_no_domain_and_deliberation_no_meetings():
    wrong = sorted(
        f"{source} -> {target}"
        for source, target, *_ in imports()
        if (_top(source), _top(target)) in FORBIDDEN
    )
    assert wrong == []


def test_the_domain_reaches_the_plumbing_through_its_face():
    wrong = sorted(
        f"{source} -> {target}"
        for source, target, *_ in imports()
        if _top(source) in DOMAIN and _top(target) == "plumbing" and target not in PLUMBING_FACE
    )
    assert wrong == []


def test_an_import_inside_a_function_says_why():
    unexplained = {}
    for source, _target, line, in_function, said in imports():
        if in_function and not said:
            unexplained.setdefault(source, []).append(line)
    grown = {
        module: lines
        for module, lines in unexplained.items()
        if len(set(lines)) > LOCAL_IMPORTS_WITHOUT_A_WHY.get(module, 0)
    }
    assert grown == {}, "say why in a comment, or import at the top of the module"


def test_a_process_starting_django_does_not_load_scikit_learn():
    """Web and task workers start without scikit-learn and SciPy (most of a second of CPU
    each): only computing an opinion map needs them."""
    script = (
        "import sys, django; django.setup(); import config.asgi, config.urls;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy'}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_checks_see_a_circle_and_a_forbidden_arrow():
    assert circles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [["a", "b", "c"]]
    found = {(source, target) for source, target, *_ in imports()}
    assert ("meetings.services.commands", "deliberation.audit") in found  # a real arrow is read


# The rooms of the house as docs/development.md draws them: the packages, and deliberation's
# layers (first match of the module's name wins; the rest of deliberation is its core).
ROOMS = [
    ("deliberation.models", "deliberation/models"),
    ("deliberation.services", "deliberation/services"),
    ("deliberation.documents", "deliberation/documents"),
    ("deliberation.forms", "deliberation/forms"),
    ("deliberation.views", "deliberation/views, urls, tags, admin"),
    ("deliberation.urls", "deliberation/views, urls, tags, admin"),
    ("deliberation.templatetags", "deliberation/views, urls, tags, admin"),
    ("deliberation.admin", "deliberation/views, urls, tags, admin"),
    ("deliberation.management", "deliberation/jobs, commands, demo"),
    ("deliberation.demo", "deliberation/jobs, commands, demo"),
    ("deliberation.jobs", "deliberation/jobs, commands, demo"),
    ("deliberation.periodic", "deliberation/jobs, commands, demo"),
    ("deliberation.register_job", "deliberation/jobs, commands, demo"),
    ("deliberation", "deliberation core: access, audit, notices, rules, ..."),
]


def room(module):
    for prefix, name in ROOMS:
        if module == prefix or module.startswith(prefix + "."):
            return name
    return module.split(".")[0]


def mermaid(found):
    """A mermaid flowchart of the arrows between rooms, each with how many imports it holds."""
    counts = {}
    for source, target, *_ in found:
        pair = (room(source), room(target))
        if pair[0] != pair[1] and "migrations" not in source:
            counts[pair] = counts.get(pair, 0) + 1
    names = sorted({name for pair in counts for name in pair})
    ids = {name: "n" + "".join(c if c.isalnum() else "_" for c in name) for name in names}
    lines = ["flowchart TD"]
    lines += [f'    {ids[name]}["{name}"]' for name in names]
    lines += [f"    {ids[a]} -->|{n}| {ids[b]}" for (a, b), n in sorted(counts.items())]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    found = imports()
    if "--mermaid" in sys.argv:
        print(mermaid(found))
        raise SystemExit
    edges = {(source, target) for source, target, *_ in found}
    local = [item for item in found if item[3]]
    print(f"{len(modules())} modules, {len(edges)} imports, {len(local)} inside functions")
    for group in circles(edges):
        print("circle:", " ".join(group))
