"""A consortium's night, end to end through the `unioncat` command (issue 12's "done when"): five member
libraries over real HTTP on loopback, each with one record its provider cannot serve well-formed, each answering
a 503 with Retry-After, dropping a connection mid-page and rejecting a resumption token. After a second run every
other live record is in the union catalogue exactly once and every broken one is listed with its error; after the
libraries change 5 % of their records and delete 2 %, an incremental harvest gives exactly their new state.
On SQLite and PostgreSQL, with tantivy."""

from __future__ import annotations

import json

import pytest

from unioncat.cli import main
from unioncat.demo.broken_records import BREAKS
from unioncat.demo.oai_server import Fault, OAIServer

MARC = "http://www.loc.gov/MARC21/slim"
CODES = ["TH1", "TH2", "TH3", "TH4", "TH5"]
RECORDS = 300  # per library, 6 pages of 50


def book(code: str, i: int, edition: str = "") -> bytes:
    """A record only this library holds (distinct titles: every union record has one member)."""
    return (f'<record xmlns="{MARC}"><leader>00000nam a2200000 a 4500</leader>'
            f'<controlfield tag="001">{code}-{i}</controlfield>'
            f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">Địa chí {code} quyển {i}{edition}'
            f'</subfield></datafield><datafield tag="260" ind1=" " ind2=" "><subfield code="c">{1990 + i % 30}'
            "</subfield></datafield></record>").encode()


def night_faults() -> list[Fault]:
    """Page 2 answers 503 (Retry-After: 1) once, page 3 drops the connection mid-body once, page 4's token is
    rejected: the run fails there and the next run restarts the window by date."""
    return [Fault.ok(verb="ListRecords"), Fault.http_status(503, retry_after=1, verb="ListRecords"),
            Fault.ok(verb="ListRecords"), Fault.drop_mid_body(verb="ListRecords"), Fault.ok(verb="ListRecords"),
            Fault.oai_error("badResumptionToken", "expired", verb="ListRecords")]


def broken_record(code: str, n: int) -> str:
    return f"oai:{code.lower()}:{37 * (n + 1):03d}"


def cli_json(capsys, *argv: str) -> list[dict]:
    capsys.readouterr()
    assert main(list(argv) + ["--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def union_members(capsys) -> list[tuple[str, str, str]]:
    """(library, identifier, title) of every member of every exported union record."""
    capsys.readouterr()
    assert main(["export", "--format", "jsonl"]) == 0
    out = []
    for line in capsys.readouterr().out.splitlines():
        record = json.loads(line)
        out += [(m["library"], m["identifier"], record["title"]) for m in record["members"]]
    return out


def live_state(repos, unreadable: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """What the providers hold, less what they cannot serve well-formed: (library, identifier) -> title."""
    state = {}
    for code, repo in repos.items():
        for identifier in list(repo._records):
            rec = repo.get(identifier)
            if rec.deleted or (code, identifier) in unreadable:
                continue
            state[(code, identifier)] = rec.metadata.split(b'code="a">')[1].split(b"</subfield>")[0].decode()
    return state


@pytest.fixture
def consortium(db_settings, monkeypatch):
    monkeypatch.setenv("UNIONCAT_DATA_DIR", str(db_settings.data_dir))
    monkeypatch.setenv("UNIONCAT_DATABASE_URL", db_settings.database_url)
    monkeypatch.setenv("COLUMNS", "250")
    with OAIServer() as server:
        repos = {}
        for n, code in enumerate(CODES):
            records = [(f"oai:{code.lower()}:{i:03d}", "2024-01-10T08:00:00Z", False, book(code, i), [])
                       for i in range(RECORDS)]
            repo = server.add_repository(code, records, page_size=50)
            # one record each, somewhere in the catalogue, broken in list responses and in GetRecord
            repo.break_record(broken_record(code, n), BREAKS[n], in_get_record=True)
            repo.add_fault(*night_faults())
            repos[code] = repo
            assert main(["libraries", "add", code, "--name", f"Thư viện {code}", "--oai-url",
                         server.base_url(code), "--province", "Nghệ An"]) == 0
        yield repos


def test_a_night_of_broken_records_and_faults_then_an_incremental_harvest(consortium, capsys):
    repos = consortium
    unreadable = {(code, broken_record(code, n)) for n, code in enumerate(CODES)}
    # one record that breaks only in list responses: GetRecord brings it in
    repos["TH1"].break_record("oai:th1:200", "bare-lt")
    assert main(["harvest", "--all"]) == 1  # every library failed at its rejected token
    first = {row["code"]: row["last_run"] for row in cli_json(capsys, "status")}
    assert all(run["status"] == "failed" and "badResumptionToken" in run["error"] for run in first.values())
    assert all(run["retries"] == 2 for run in first.values())  # the 503 and the dropped connection

    capsys.readouterr()
    assert main(["harvest", "--all"]) == 0  # resumed: each window restarted by date
    printed = capsys.readouterr().err
    assert "1 unreadable records quarantined: oai:th2:074" in printed
    statuses = {row["code"]: row for row in cli_json(capsys, "status")}
    assert all(row["last_run"]["status"] == "succeeded_with_errors" for row in statuses.values())
    assert {code: row["quarantine"]["harvest"] for code, row in statuses.items()} == dict.fromkeys(CODES, 1)

    members = union_members(capsys)
    assert len(members) == len(set((lib, i) for lib, i, _ in members))  # each record exactly once
    assert {(lib, i): t for lib, i, t in members} == live_state(repos, unreadable)
    assert ("TH1", "oai:th1:200") in {(lib, i) for lib, i, _ in members}  # recovered with GetRecord

    listed = cli_json(capsys, "quarantine", "list")
    by_library = {e["library"]: e for e in listed}
    assert sorted(by_library) == CODES and len(listed) == 5
    for n, code in enumerate(CODES):
        entry = by_library[code]
        expected = None if BREAKS[n] == "no-identifier" else broken_record(code, n)
        assert entry["identifier"] == expected and entry["status"] == "open" and entry["error"]
        assert entry["raw_bytes"] > 0 and entry["position"].startswith("page ")

    # the libraries change 5 % of their records and delete 2 %; TH3's cataloguer fixes the broken record
    changed, deleted = {}, set()
    for code, repo in repos.items():
        for i in range(0, RECORDS, 20):
            identifier = f"oai:{code.lower()}:{i:03d}"
            if (code, identifier) not in unreadable and identifier != "oai:th1:200":
                repo.put(identifier, metadata=book(code, i, ", tái bản lần 2"))
                changed[(code, identifier)] = True
        for i in range(7, RECORDS, 50):
            identifier = f"oai:{code.lower()}:{i:03d}"
            if (code, identifier) not in unreadable:
                repo.delete(identifier)
                deleted.add((code, identifier))
    repos["TH3"].fix_record("oai:th3:111")
    unreadable.discard(("TH3", "oai:th3:111"))
    assert len(changed) == 5 * 15 - 1 and len(deleted) == 5 * 6  # 5 % changed (less th1:200), 2 % deleted

    capsys.readouterr()
    assert main(["harvest", "--all"]) == 0
    members = union_members(capsys)
    assert len(members) == len(set((lib, i) for lib, i, _ in members))
    state = live_state(repos, unreadable)
    assert {(lib, i): t for lib, i, t in members} == state
    assert not deleted & set(state) and all(state[key].endswith("tái bản lần 2") for key in changed
                                            if key not in deleted)
    assert ("TH3", "oai:th3:111") in state
    runs = {row["code"]: row["last_run"] for row in cli_json(capsys, "status")}
    assert runs["TH3"]["status"] == "succeeded"  # its only broken record came in fixed
    open_entries = cli_json(capsys, "quarantine", "list")
    assert sorted(e["library"] for e in open_entries) == ["TH1", "TH2", "TH4", "TH5"]
    resolved = [e for e in cli_json(capsys, "quarantine", "list", "--all") if e["status"] == "resolved"]
    assert {(e["library"], e["identifier"]) for e in resolved} == {("TH1", "oai:th1:200"), ("TH3", "oai:th3:111")}
