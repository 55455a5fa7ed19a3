"""Library definition files: the bundled Bắc Miền Trung members and the loader's error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvesters.definitions import BUNDLED_LIBRARIES_DIR, DefinitionError, LibraryDefinition, load_definitions

BMT = BUNDLED_LIBRARIES_DIR / "bac-mien-trung"

VALID = """
code = "THA"
name = "Thư viện tỉnh Thanh Hóa"
province = "Thanh Hóa"
consortium = "bac-mien-trung"
"""


def test_bundled_members_load():
    libraries = {d.code: d for d in load_definitions(BMT)}
    assert set(libraries) == {"THA", "NAN", "HTI", "QBI", "QTR", "HUE", "DHV"}
    assert all(d.consortium == "bac-mien-trung" for d in libraries.values())
    assert all(d.metadata_prefix == "marc21" for d in libraries.values())
    # Real endpoints are unknown: the demo supplies loopback URLs.
    assert all(d.oai_url is None for d in libraries.values())
    assert [d.code for d in libraries.values() if d.profile == "koha"] == ["DHV"]


def test_bundled_members_reflect_the_2025_reorganisation():
    libraries = {d.code: d for d in load_definitions(BMT)}
    assert libraries["QBI"].province == "Quảng Trị"
    assert libraries["QBI"].former_provinces == ["Quảng Bình"]
    assert libraries["QTR"].province == "Quảng Trị"
    assert libraries["HUE"].name == "Thư viện thành phố Huế"
    assert libraries["HUE"].province == "Huế"
    assert libraries["HUE"].former_provinces == ["Thừa Thiên Huế"]
    assert libraries["THA"].province == "Thanh Hóa" and libraries["THA"].former_provinces == []


def test_whole_tree_and_single_file(tmp_path: Path):
    assert {d.code for d in load_definitions(BUNDLED_LIBRARIES_DIR)} >= {"THA", "DHV"}
    only = load_definitions(BMT / "hue.toml")
    assert len(only) == 1 and only[0].code == "HUE"


def test_broken_toml_names_the_file(tmp_path: Path):
    (tmp_path / "good.toml").write_text(VALID, encoding="utf-8")
    broken = tmp_path / "sub" / "broken.toml"
    broken.parent.mkdir()
    broken.write_text('code = "NAN"\nname = "Thư viện tỉnh Nghệ An\n', encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    assert "broken.toml" in str(info.value)
    assert "invalid TOML" in str(info.value)
    assert info.value.path == broken


def test_invalid_content_names_the_file_and_the_field(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text(VALID + 'profile = "libol"\nschedule = "every night"\n', encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definitions(bad)
    message = str(info.value)
    assert "bad.toml" in message and "profile" in message and "schedule" in message


def test_unknown_key_and_missing_key_are_rejected(tmp_path: Path):
    typo = tmp_path / "typo.toml"
    typo.write_text(VALID + 'oai_ulr = "http://127.0.0.1/oai"\n', encoding="utf-8")
    with pytest.raises(DefinitionError, match="typo.toml.*oai_ulr"):
        load_definitions(typo)
    missing = tmp_path / "missing.toml"
    missing.write_text('code = "THA"\n', encoding="utf-8")
    with pytest.raises(DefinitionError, match="missing.toml.*name"):
        load_definitions(missing)


def test_duplicate_code_names_both_files(tmp_path: Path):
    (tmp_path / "a.toml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.toml").write_text(VALID, encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_definitions(tmp_path)
    assert "b.toml" in str(info.value) and "a.toml" in str(info.value)


def test_missing_path(tmp_path: Path):
    with pytest.raises(DefinitionError, match="no such file"):
        load_definitions(tmp_path / "nowhere")


def test_field_validation():
    d = LibraryDefinition(code="HUE", name="Thư viện thành phố Huế", province="Huế",
                          oai_url="http://127.0.0.1:8001/oai", opac_url="https://opac.example.vn/record/{id}",
                          schedule="30 1 * * *")
    assert d.opac_link("HUE0000101") == "https://opac.example.vn/record/HUE0000101"
    with pytest.raises(ValueError):
        LibraryDefinition(code="hue", name="x", province="Huế")
    with pytest.raises(ValueError):
        LibraryDefinition(code="HUE", name="x", province="Huế", opac_url="https://opac.example.vn/record")
    with pytest.raises(ValueError):
        LibraryDefinition(code="HUE", name="x", province="Huế", oai_url="ftp://example.vn/oai")


def test_harvest_options_load_from_toml_and_bad_ones_name_the_file(tmp_path: Path):
    good = tmp_path / "nan.toml"
    good.write_text(VALID + '\n[options]\ndelay = 2.5\nleader05_delete = true\nforce_encoding = "iso-8859-1"\n',
                    encoding="utf-8")
    (definition,) = load_definitions(good)
    assert definition.options == {"delay": 2.5, "leader05_delete": True, "force_encoding": "iso-8859-1"}
    bad = tmp_path / "bad.toml"
    bad.write_text(VALID + "\n[options]\ndelai = 2\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match="bad.toml.*delai"):
        load_definitions(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(VALID + '\n[options]\ndelay = "slowly"\n', encoding="utf-8")
    with pytest.raises(DefinitionError, match="wrong.toml.*delay"):
        load_definitions(wrong)
