"""What HACS and Home Assistant read from the repository besides the code stays valid.

The licence, the brand images (Home Assistant 2026.3+ serves ``brand/`` of a custom
integration; HACS's brands check looks there first), ``hacs.json`` and the integration's
``manifest.json``. Images are checked from their PNG header alone, with the standard library.
"""

from __future__ import annotations

from importlib import metadata
import json
from pathlib import Path
import re
import struct
import zlib

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
import pytest

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "smartcar"
BRAND = INTEGRATION / "brand"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# The keys of HACS's hacs.json schema (HACS_MANIFEST_JSON_SCHEMA in
# custom_components/hacs/utils/validate.py of hacs/integration; it prevents extra keys).
HACS_KEYS = {
    "content_in_root",
    "country",
    "filename",
    "hacs",
    "hide_default_branch",
    "homeassistant",
    "persistent_directory",
    "render_readme",
    "zip_release",
    "name",
}
# What HACS requires of an integration's manifest.json.
HACS_MANIFEST_KEYS = {"codeowners", "documentation", "domain", "issue_tracker", "name", "version"}
# The version schemes hassfest accepts for a custom integration's "version".
HASSFEST_VERSION_STRATEGIES = {
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
}
# The file names Home Assistant's brands integration serves from a custom integration.
BRAND_NAMES = {
    f"{dark}{kind}{hidpi}.png"
    for dark in ("", "dark_")
    for kind in ("icon", "logo")
    for hidpi in ("", "@2x")
}
# PNG colour types that carry an alpha channel: greyscale + alpha, truecolour + alpha.
ALPHA_COLOUR_TYPES = {4, 6}


def png_header(path: Path) -> tuple[int, int, int, int]:
    """Width, height, bit depth and colour type, from the IHDR chunk (checksum verified)."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (kind, length) == (b"IHDR", 13), f"{path.name}: the first chunk is not IHDR"
    ihdr = data[16:29]
    (crc,) = struct.unpack(">I", data[29:33])
    assert zlib.crc32(kind + ihdr) == crc, f"{path.name}: IHDR checksum mismatch"
    width, height, depth, colour_type = struct.unpack(">IIBB", ihdr[:10])
    return width, height, depth, colour_type


def load_json(path: Path) -> dict[str, object]:
    """A JSON file of the repository, parsed."""
    return json.loads(path.read_text(encoding="utf-8"))


def test_license_is_mit() -> None:
    """An OSI-approved licence HACS accepts (MIT), with the project's copyright line."""
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "MIT License"
    assert re.search(r"^Copyright \(c\) 20\d\d .+$", text, re.MULTILINE)
    assert "Permission is hereby granted, free of charge, to any person obtaining a copy" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_brand_holds_only_names_home_assistant_serves() -> None:
    """Every file in brand/ is one Home Assistant serves; icon.png (HACS's check) is there."""
    names = {path.name for path in BRAND.iterdir()}
    assert names <= BRAND_NAMES, names - BRAND_NAMES
    assert {"icon.png", "icon@2x.png", "logo.png", "logo@2x.png"} <= names


@pytest.mark.parametrize("name", sorted(BRAND_NAMES))
def test_brand_image_follows_the_brands_rules(name: str) -> None:
    """PNG with an alpha channel, icons 256 (512 at @2x) square, logos' shortest side in range."""
    path = BRAND / name
    if not path.exists():
        if name.startswith("dark_"):
            pytest.skip(f"optional {name} not provided; Home Assistant falls back")
        pytest.fail(f"{name} is missing")
    width, height, depth, colour_type = png_header(path)
    assert colour_type in ALPHA_COLOUR_TYPES, f"{name} has no alpha channel"
    assert depth in {8, 16}
    scale = 2 if "@2x" in name else 1
    if "icon" in name:
        assert (width, height) == (256 * scale, 256 * scale)
    else:
        assert 128 * scale <= min(width, height) <= 256 * scale
        assert width >= height, "a landscape logo is preferred"


@pytest.mark.parametrize("name", ["icon", "logo"])
def test_hidpi_image_is_twice_the_size(name: str) -> None:
    """Each @2x image is the same drawing at twice the size (within a pixel of rounding)."""
    for dark in ("", "dark_"):
        base, hidpi = BRAND / f"{dark}{name}.png", BRAND / f"{dark}{name}@2x.png"
        if not base.exists() or not hidpi.exists():
            continue
        width, height = png_header(base)[:2]
        width2, height2 = png_header(hidpi)[:2]
        assert height2 == 2 * height
        assert abs(width2 - 2 * width) <= 1


def test_dark_logo_matches_the_logo() -> None:
    """A dark logo, if shipped, has the light logo's size, so the two swap cleanly."""
    for scale in ("", "@2x"):
        dark = BRAND / f"dark_logo{scale}.png"
        if dark.exists():
            assert png_header(dark)[:2] == png_header(BRAND / f"logo{scale}.png")[:2]


def test_hacs_json_uses_only_schema_keys() -> None:
    """hacs.json has a name and no key HACS's schema would reject."""
    hacs = load_json(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS, set(hacs) - HACS_KEYS
    assert isinstance(hacs["name"], str)
    assert hacs["name"]
    assert "zip_release" not in hacs or "filename" in hacs


def test_hacs_minimum_home_assistant_is_the_tested_one() -> None:
    """The minimum Home Assistant in hacs.json is the version the pinned test stack runs."""
    minimum = load_json(ROOT / "hacs.json")["homeassistant"]
    assert isinstance(minimum, str)
    assert re.fullmatch(r"20\d\d\.\d{1,2}\.\d+", minimum), minimum
    requirements = (ROOT / "requirements_test.txt").read_text(encoding="utf-8")
    assert f"Home Assistant {minimum} " in requirements
    pin = re.search(r"^pytest-homeassistant-custom-component==(\S+)$", requirements, re.MULTILINE)
    assert pin
    if metadata.version("pytest-homeassistant-custom-component") != pin[1]:
        pytest.skip("not running on the pinned test stack")
    assert metadata.version("homeassistant") == minimum


def test_manifest_is_valid_for_hacs_and_hassfest() -> None:
    """HACS's required keys, a version, the domain of the directory, hassfest's key order."""
    manifest = load_json(INTEGRATION / "manifest.json")
    assert set(manifest) >= HACS_MANIFEST_KEYS, HACS_MANIFEST_KEYS - set(manifest)
    assert manifest["domain"] == INTEGRATION.name
    assert isinstance(manifest["version"], str)
    assert AwesomeVersion(manifest["version"]).strategy in HASSFEST_VERSION_STRATEGIES
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "hassfest: domain, name, then alphabetical order"


def test_changelog_names_the_manifest_version() -> None:
    """The newest changelog entry is the version HACS and Home Assistant show."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = re.search(r"^## (\S+) \(\d{4}-\d{2}-\d{2}\)$", changelog, re.MULTILINE)
    assert newest, "CHANGELOG.md: '## <version> (<date>)' entries"
    assert newest[1] == load_json(INTEGRATION / "manifest.json")["version"]
