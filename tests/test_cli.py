"""The command line: messages, exit codes, and that it stays a thin layer over the library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from tests.conftest import REPO, pdf_text


def run(runner: CliRunner, *args: str):  # noqa: ANN201
    return runner.invoke(app, list(args))


def test_list_json_shape(runner: CliRunner, project: Path) -> None:
    result = run(runner, "list", "--json", "--root", str(project))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["leaflets"] == [
        {"id": "small", "title": "A small leaflet", "sections": ["alpha", "beta"], "origin": "local"}
    ]
    assert {s["id"] for s in data["sections"]} == {"alpha", "beta"}
    assert set(data["sections"][0]) == {"id", "title", "tags", "status", "next_review", "origin"}
    assert data["sites"] == [] and data["overrides"] == [], "a folder with only content/ stands alone"


def test_list_table(runner: CliRunner, project: Path) -> None:
    result = run(runner, "list", "--root", str(project))
    assert result.exit_code == 0
    assert "small" in result.stdout and "A small leaflet" in result.stdout and "Alpha section" in result.stdout


def test_unknown_leaflet_exits_2_with_one_line_and_closest_match(runner: CliRunner, project: Path) -> None:
    result = run(runner, "build", "smal", "--root", str(project), "-o", str(project / "out"))
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("Error: unknown leaflet 'smal' (did you mean 'small'?)")
    assert "Traceback" not in result.output


def test_invalid_yaml_names_file_and_line(runner: CliRunner, make_project) -> None:
    root = make_project({"content/leaflets/small.yaml": "title: T\nsections: [alpha\n"})
    result = run(runner, "build", "small", "--root", str(root), "-o", str(root / "out"))
    assert result.exit_code == 2
    assert "content/leaflets/small.yaml, line" in result.stderr and "invalid YAML" in result.stderr


def test_unknown_detail_key_exits_2(runner: CliRunner, project: Path) -> None:
    result = run(runner, "build", "small", "--root", str(project), "--set", "nhs_number=123")
    assert result.exit_code == 2
    assert "unknown detail key 'nhs_number'" in result.stderr


def test_build_with_details_and_ad_hoc_sections(runner: CliRunner, project: Path, tmp_path: Path) -> None:
    result = run(runner, "build", "--sections", "beta,alpha", "--title", "My Own Leaflet!", "--root", str(project),
                 "-o", str(tmp_path), "--set", "patient_name=Zoë O'Brien <b>")
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "my-own-leaflet.pdf"
    assert f"Wrote {pdf}" in result.stdout
    text = pdf_text(pdf)
    assert "My Own Leaflet!" in text and "Zoë O'Brien <b>" in text
    assert text.index("Beta section") < text.index("Alpha section")
    assert not any("Zo" in p.name for p in tmp_path.iterdir())


def test_approved_only_refuses_draft(runner: CliRunner, project: Path, tmp_path: Path) -> None:
    result = run(runner, "build", "small", "--approved-only", "--root", str(project), "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "--approved-only" in result.stderr and "alpha" in result.stderr
    assert not list(tmp_path.glob("*.pdf"))


def test_approved_content_has_no_draft_mark(runner: CliRunner, make_project, tmp_path: Path) -> None:
    from tests.conftest import section_text

    root = make_project({
        "content/sections/alpha.md": section_text("Alpha", "Approved words.", status="approved"),
        "content/sections/beta.md": section_text("Beta", "More approved words.", status="approved"),
    })
    result = run(runner, "build", "small", "--approved-only", "--root", str(root), "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Draft" not in pdf_text(tmp_path / "small.pdf")


def test_help_and_list_do_not_import_weasyprint(project: Path) -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from cli import app; r = CliRunner();"
        f"a = r.invoke(app, ['--help']); b = r.invoke(app, ['list', '--root', {str(project)!r}]);"
        "assert a.exit_code == 0 and b.exit_code == 0, b.output;"
        "print('weasyprint' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_every_command_has_help_with_an_example(runner: CliRunner) -> None:
    import typer.main

    group = typer.main.get_command(app)
    assert group.commands
    for name, command in group.commands.items():
        assert command.help and "Example:" in command.help, name


def test_readme_documents_every_command_and_option() -> None:
    """sqlite-utils style: a command or option the README does not mention is a failing test."""
    import typer.main

    from cli import app as cli_app

    readme = (REPO / "README.md").read_text("utf-8")
    group = typer.main.get_command(cli_app)
    missing = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        if f"leaflets {name}" not in readme:
            missing.append(f"leaflets {name}")
        for param in command.params:
            for flag in param.opts:
                if flag.startswith("--") and flag != "--help" and flag not in readme:
                    missing.append(f"leaflets {name} {flag}")
    assert missing == []
