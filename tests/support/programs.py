"""Program files for tests: the bundled example with a few card settings changed."""

from __future__ import annotations

from pathlib import Path

from bot.config import DEFAULT_PROGRAM


def static_program(folder: Path, prefix: str = "29") -> Path:
    """The example program with static (EAN-13 member number) card codes, written to folder."""
    text = (
        DEFAULT_PROGRAM.read_text()
        .replace('code_mode = "rotating"', 'code_mode = "static"')
        .replace('number_prefix = "29"', f'number_prefix = "{prefix}"')
        .replace('logo = "logo.png"', f'logo = "{DEFAULT_PROGRAM.parent / "logo.png"}"')
    )
    assert 'code_mode = "static"' in text
    path = folder / "static-program.toml"
    path.write_text(text)
    return path
