"""The canonical record: what every source format (MARC21, Dublin Core) is normalized into.

Plain pydantic values; no database, no I/O. Text fields are Unicode NFC.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Person(BaseModel):
    name: str  # as catalogued, NFC ("Nguyễn Văn A" or "Nguyễn, Văn A")
    role: str | None = None  # relator term or code ("tác giả", "aut", "dịch")
    dates: str | None = None
    kind: str = "person"  # person | corporate | meeting


class Holding(BaseModel):
    """One item or holdings statement (MARC 852, Koha 952)."""

    call_number: str | None = None
    location: str | None = None  # branch / collection / shelving location
    barcode: str | None = None
    status: str | None = None  # available, on loan, lost... as the library says it
    note: str | None = None


class Link(BaseModel):
    url: str
    label: str | None = None


class CanonicalRecord(BaseModel):
    source_format: str  # "marc21" | "oai_dc"
    record_kind: str = "bibliographic"  # bibliographic | authority | holdings | other (kept out of clusters)
    control_number: str | None = None  # 001
    title: str = ""
    subtitle: str | None = None
    part: str | None = None  # 245 $n $p: volume / part number and name
    variant_titles: list[str] = Field(default_factory=list)  # 246 $a $b, 740 $a: other forms of the title
    statement_of_responsibility: str | None = None
    authors: list[Person] = Field(default_factory=list)  # main entry first, then added entries
    edition: str | None = None
    publisher: str | None = None
    place: str | None = None
    year: int | None = None
    date_text: str | None = None  # the imprint date as written
    isbns: list[str] = Field(default_factory=list)  # valid, normalized to ISBN-13
    invalid_isbns: list[str] = Field(default_factory=list)  # kept as weak evidence only
    issns: list[str] = Field(default_factory=list)
    lccn: str | None = None
    system_numbers: list[str] = Field(default_factory=list)  # 035 $a
    language: str | None = None  # ISO 639-2/B code, e.g. "vie"
    format: str = "book"  # book | serial | map | music | score | video | audio | electronic | mixed | other
    extent: str | None = None  # 300 $a as written
    pages: int | None = None
    subjects: list[str] = Field(default_factory=list)
    classification: list[str] = Field(default_factory=list)
    series: str | None = None
    series_number: str | None = None
    notes: list[str] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    holdings: list[Holding] = Field(default_factory=list)
    repairs: list[str] = Field(default_factory=list)  # text repairs applied during normalization
    deleted: bool = False  # MARC leader/05 'd': the source says this record is deleted (file imports)

    @property
    def author_names(self) -> list[str]:
        return [p.name for p in self.authors]
