"""The README's settings table is the documentation of every setting: it must list each
environment variable settings.py reads, with the same default."""

from pathlib import Path

from portal_app.settings import SETTINGS_DOC


def test_readme_lists_every_setting():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for name, default, meaning in SETTINGS_DOC:
        assert f"| `{name}` | `{default}` | {meaning} |" in readme, f"README settings table lacks {name}"


def test_every_env_var_read_is_documented():
    source = (Path(__file__).resolve().parents[2] / "portal_app" / "settings.py").read_text()
    import re

    read = set(re.findall(r'_env\("([A-Z_]+)"', source))
    documented = {name for name, _, _ in SETTINGS_DOC}
    assert read <= documented, f"undocumented settings: {sorted(read - documented)}"
