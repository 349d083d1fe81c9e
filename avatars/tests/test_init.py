"""The pipeline's boundary, as avatars/__init__.py documents it: avatars imports
nothing of registration, moderation or exports, and they use only the
documented surface."""

import ast
from pathlib import Path

import avatars

ROOT = Path(__file__).resolve().parents[2]
# What the sign-up app may use, by module: the docstring's list.
SURFACE = {
    "avatars.forms": {"AvatarField", "PhotoWithCropForm"},
    "avatars.state": {
        "attach_photo",
        "refresh",
        "remove_photo",
        "make_blank_avatars",
        "Outcome",
    },
    "avatars.views": {"status_context"},
    "avatars.pacing": {"poll_for_work"},
    "avatars.storage": {"photo_files"},
    "avatars.tasks": {"resize_avatar"},
    "avatars.models": {"uploads_storage", "original_upload_to", "BlockedPhoto"},
    "avatars.blocklist": {"lift"},
}


def python_files(app: str) -> list[Path]:
    return sorted((ROOT / app).rglob("*.py"))


def imported_modules(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def names_used_from_avatars(tree: ast.AST) -> set[str]:
    """Every `avatars.<module>.<name>` a file reaches, whether it imports the
    name or the module and reads the name off it."""
    used, module_aliases = set(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "avatars":
            for alias in node.names:
                module_aliases[alias.asname or alias.name] = f"avatars.{alias.name}"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "avatars."
        ):
            used |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("avatars"):
                    used.add(alias.name)  # `import avatars.x`: a whole module
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in module_aliases
        ):
            used.add(f"{module_aliases[node.value.id]}.{node.attr}")
    return used


def allowed(name: str) -> bool:
    module, _, attribute = name.rpartition(".")
    return attribute in SURFACE.get(module, set())


def test_avatars_imports_nothing_of_the_apps_that_use_it():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            module
            for module in imported_modules(ast.parse(path.read_text()))
            if module.split(".")[0] in {"registration", "moderation", "exports"}
        )
        for path in python_files("avatars")
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_apps_that_use_it_use_only_the_documented_surface():
    used = {
        str(path.relative_to(ROOT)): names_used_from_avatars(
            ast.parse(path.read_text())
        )
        for app in ("registration", "moderation", "exports")
        for path in python_files(app)
        if "tests" not in path.parts
    }
    outside = {
        path: sorted(name for name in names if not allowed(name))
        for path, names in used.items()
    }
    assert {path: names for path, names in outside.items() if names} == {}
    # The scan sees the uses there are: the sign-up form attaches a photo.
    assert "avatars.state.attach_photo" in used["registration/forms.py"]
    assert "avatars.state.remove_photo" in used["moderation/actions.py"]
    assert "avatars.storage.photo_files" in used["exports/archive.py"]


def test_the_surface_is_the_documented_one():
    documented = avatars.__doc__ or ""
    for module, names in SURFACE.items():
        for name in names:
            assert f"{module}.{name}" in documented
