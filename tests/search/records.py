"""A small, hand-written set of Vietnamese union records for the search contract suite.

Shaped like `unioncat.dedup.merge.build_union_record` output (see `unioncat.search.backend`). Chosen to exercise
diacritics (hòa / hóa / hoa / họa / hoà, đường / Dương), NFD input, authors with several books, a book held by
three libraries, provinces under current and former names, several years, languages and formats.
"""

from __future__ import annotations

import copy


def isbn13(body12: str) -> str:
    """Append the ISBN-13 check digit to 12 digits."""
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


ISBN_KIEU = isbn13("978604000001")  # Truyện Kiều
ISBN_KIEU_HYPHENATED = f"{ISBN_KIEU[:3]}-{ISBN_KIEU[3:6]}-{ISBN_KIEU[6:8]}-{ISBN_KIEU[8:12]}-{ISBN_KIEU[12]}"
ISBN10_HISTORY = "0-306-40615-2"  # the same book as ISBN-13 9780306406157
ISBN13_HISTORY = "9780306406157"

NA, HN, HCM, HUE, DN = "NA-TV", "HN-TV", "HCM-TV", "HUE-TV", "DN-TV"
PROVINCES = {
    NA: ["Nghệ An"],
    HN: ["Hà Nội"],
    HCM: ["Hồ Chí Minh"],
    HUE: ["Huế", "Thừa Thiên Huế"],  # a city since 2025, a province before
    DN: ["Đà Nẵng", "Quảng Nam"],  # Quảng Nam merged into Đà Nẵng on 2025-07-01
}


def _rec(
    n: int,
    title: str,
    *,
    authors: list[str] | None = None,
    year: int | None = None,
    libraries: list[str],
    subjects: list[str] | None = None,
    language: str = "vie",
    fmt: str = "book",
    publisher: str | None = None,
    isbns: list[str] | None = None,
    subtitle: str | None = None,
    series: str | None = None,
) -> dict:
    provinces: list[str] = []
    for lib in libraries:
        provinces += [p for p in PROVINCES[lib] if p not in provinces]
    holdings = [{"library": lib, "call_number": f"{n:03d}/{lib}", "items": 1} for lib in libraries]
    return {
        "id": f"u-{n:03d}",
        "title": title,
        "subtitle": subtitle,
        "authors": authors or [],
        "publisher": publisher,
        "place": "H." if publisher else None,
        "year": year,
        "edition": None,
        "isbns": isbns or [],
        "language": language,
        "format": fmt,
        "subjects": subjects or [],
        "series": series,
        "extent": None,
        "pages": None,
        "libraries": libraries,
        "provinces": provinces,
        "holdings_count": len(holdings),
        "holdings": holdings,
        "members": [{"library": lib, "identifier": f"oai:{lib.lower()}:{n}"} for lib in libraries],
    }


_RECORDS = [
    _rec(1, "Lịch sử Nghệ An", authors=["Ban Nghiên cứu Lịch sử Đảng"], year=2005, libraries=[NA],
         subjects=["Lịch sử", "Nghệ An"], publisher="Nxb. Nghệ An"),
    _rec(2, "Truyện Kiều", authors=["Nguyễn Du"], year=2015, libraries=[NA, HN, HCM],
         subjects=["Văn học Việt Nam", "Truyện thơ"], publisher="Nxb. Văn học", isbns=[ISBN_KIEU]),
    _rec(3, "Hòa bình", authors=["Lê Văn Hòa"], year=2010, libraries=[HN], subjects=["Chính trị"]),
    _rec(4, "Hóa học đại cương", authors=["Trần Văn Minh"], year=2012, libraries=[HCM],
         subjects=["Hóa học"], publisher="Nxb. Giáo dục"),
    _rec(5, "Hoa và cây cảnh", authors=["Phạm Thị Lan"], year=2008, libraries=[HUE], subjects=["Làm vườn"]),
    _rec(6, "Họa sĩ Việt Nam thế kỷ XX", authors=["Nguyễn Quân"], year=2001, libraries=[HN],
         subjects=["Mỹ thuật"]),
    _rec(7, "Đường Kách mệnh", authors=["Hồ Chí Minh"], year=2012, libraries=[NA, HN],
         subjects=["Cách mạng", "Chính trị"], publisher="Nxb. Chính trị quốc gia"),
    _rec(8, "Nhật ký trong tù", authors=["Hồ Chí Minh"], year=1990, libraries=[NA, HUE],
         subjects=["Thơ"], publisher="Nxb. Văn học"),
    _rec(9, "Văn tế thập loại chúng sinh", authors=["Nguyễn Du"], year=1998, libraries=[HUE],
         subjects=["Văn học Việt Nam"]),
    _rec(10, "Nghiên cứu văn học cổ điển", authors=["Đào Duy Anh"], year=1996, libraries=[HN],
         subjects=["Truyện Kiều", "Phê bình văn học"]),
    _rec(11, "A history of Vietnam", authors=["Taylor, K. W."], year=2013, libraries=[HCM],
         language="eng", subjects=["History"], isbns=[ISBN13_HISTORY]),
    _rec(12, "L'Indochine française", authors=["Brocheux, Pierre"], year=1995, libraries=[HN],
         language="fre", subjects=["Histoire"]),
    _rec(13, "Con đường xưa em đi", authors=["Trần Thiện Thanh"], year=2003, libraries=[HCM],
         subjects=["Âm nhạc"], fmt="score"),
    _rec(14, "Đường sắt Việt Nam", authors=["Bộ Giao thông Vận tải"], year=2018, libraries=[DN],
         subjects=["Giao thông"]),
    _rec(15, "Việt Nam văn học sử yếu", authors=["Dương Quảng Hàm"], year=1968, libraries=[HUE, HN],
         subjects=["Văn học Việt Nam"]),
    _rec(16, "Địa chí Nghệ An", authors=["Ninh Viết Giao"], year=2004, libraries=[NA], subjects=["Địa chí"]),
    _rec(17, "Tiếng Việt thực hành", authors=["Nguyễn Minh Thuyết"], year=2019, libraries=[HN, DN],
         subjects=["Tiếng Việt"], publisher="Nxb. Giáo dục"),
    _rec(18, "Tạp chí Văn học", year=2020, libraries=[HN], fmt="serial", subjects=["Văn học Việt Nam"]),
    _rec(19, "Bản đồ hành chính Việt Nam", year=2021, libraries=[DN], fmt="map", subjects=["Bản đồ"]),
    _rec(20, "Từ điển Anh - Việt", authors=["Viện Ngôn ngữ học"], year=2011, libraries=[HCM, HUE],
         language="vie", subjects=["Từ điển"]),
    _rec(21, "Hoà giải ở cơ sở", authors=["Bộ Tư pháp"], year=2016, libraries=[DN], subjects=["Pháp luật"]),
    _rec(22, "Sông Hương", authors=["Hoàng Phủ Ngọc Tường"], year=1999, libraries=[HUE],
         subjects=["Huế", "Bút ký"]),
    _rec(23, "Ca dao Nghệ Tĩnh", year=None, libraries=[NA], subjects=["Văn học dân gian"]),
    _rec(24, "Quảng Nam đất và người", year=2007, libraries=[DN], subjects=["Quảng Nam"]),
    _rec(25, "Chiến tranh và hòa bình", authors=["Tolstoy, Lev"], year=2014, libraries=[HN, HCM],
         subjects=["Tiểu thuyết Nga"], series="Văn học nước ngoài"),
    _rec(26, "Số đỏ", authors=["Vũ Trọng Phụng"], year=2017, libraries=[HN, HCM, DN],
         subjects=["Tiểu thuyết"]),
    _rec(27, "Dế mèn phiêu lưu ký", authors=["Tô Hoài"], year=2020, libraries=[NA, HUE],
         subjects=["Văn học thiếu nhi"]),
    _rec(28, "Tắt đèn", authors=["Ngô Tất Tố"], year=2009, libraries=[NA], subjects=["Tiểu thuyết"]),
    _rec(29, "Lược sử Việt Nam", authors=["Nguyễn Khắc Viện"], year=1993, libraries=[HN],
         subjects=["Lịch sử"], subtitle="từ khởi thuỷ đến nay"),
    _rec(30, "Giáo trình hóa sinh", authors=["Đỗ Quý Hai"], year=2006, libraries=[HUE],
         subjects=["Hóa sinh"], publisher="Nxb. Đại học Huế"),
]  # fmt: skip

BY_ID = {r["id"]: r for r in _RECORDS}


def records() -> list[dict]:
    """A fresh deep copy of the fixture records (tests may change them)."""
    return copy.deepcopy(_RECORDS)
