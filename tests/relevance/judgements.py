"""A judged query set for search relevance: a fixed corpus of union records and graded queries (data only).

The corpus is 152 union records shaped like `unioncat.dedup.merge.build_union_record` output (as in
tests/search/records.py), held by the six libraries of the Bắc Miền Trung union. 142 are Vietnamese records
written for this set: real works with their real authors (Truyện Kiều, Dế mèn phiêu lưu ký, Cơ sở văn hóa Việt
Nam ...) and plausible local, agricultural and reference titles, chosen so that the words a reader types have
accent siblings in the catalogue ("đề" / "dê" / "dế" / "đê" / "để", "cổ" / "có" / "cô" / "cơ" / "cố" / "cỏ",
"hòa" / "hóa" / "họa" / "hoa" / "hỏa", "lịch sử" / "lịch sự", "Kiều" / "Kiêu", "Tô" / "Tố"), names in both
orders ("Nguyễn, Du, 1765-1820", "Austen, Jane"), look-alikes whose words are all there but scattered
("Du lịch Nghệ An" by Nguyễn Thị Hoa for "Nguyễn Du", "Ý chí vươn lên" by Hồ Văn Minh for "Hồ Chí Minh"), both
tone placements ("Hoà", "Thanh Hoá") and one title stored in NFD. Publishers' ISBNs in 978-604 are invented
(valid check digits); publication details of the Vietnamese records are plausible, not verified.

The last 10 records are real: titles, authors, years, publishers and ISBNs read with pymarc from the MARC
files in tests/data/marc (marc4j/pride-and-prejudice-fixed.mrc, marc4j/1474920681_KOHA_LFL_5.xml,
pymarc/diacritic.dat, hathitrust/hathi_marcxml_record.xml, pod4lib/1297245.marc); their holdings are invented.

Grades were given by reading the records, as a reference librarian would for the reader who typed the query:
3 = exactly what the reader wants, 2 = clearly relevant, 1 = partly relevant; a record not listed is 0. They
were not taken from what an engine returns: some relevant records share no word with the query (a French
"Kim Vân Kiều" for "Truyện Kiều", "Dân tộc học đại cương" for "vấn đề dân tộc") and no engine without
synonyms finds them; that is part of the measure.
"""

from __future__ import annotations

import copy
import math
import unicodedata
from dataclasses import dataclass

# --------------------------------------------------------------------------- libraries

TH, NA, HT, QB, QT, HUE = "TH-TV", "NA-TV", "HT-TV", "QB-TV", "QT-TV", "HUE-TV"
ALL_LIBS = [TH, NA, HT, QB, QT, HUE]
PROVINCES = {
    TH: ["Thanh Hóa"],
    NA: ["Nghệ An"],
    HT: ["Hà Tĩnh"],
    QB: ["Quảng Bình", "Quảng Trị"],  # Quảng Bình and Quảng Trị merged as Quảng Trị on 2025-07-01
    QT: ["Quảng Trị"],
    HUE: ["Huế", "Thừa Thiên Huế"],
}


def isbn13_check(body12: str) -> str:
    """`body12` (12 digits, hyphens allowed) with its ISBN-13 check digit appended (after a hyphen if any)."""
    digits = body12.replace("-", "")
    assert len(digits) == 12 and digits.isdigit(), body12
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
    check = str((10 - total % 10) % 10)
    return f"{body12}-{check}" if "-" in body12 else body12 + check


def isbn10_to_13(isbn10: str) -> str:
    digits = isbn10.replace("-", "").upper()
    return isbn13_check("978" + digits[:9])


def compact(isbn: str) -> str:
    return isbn.replace("-", "")


# Invented publishers' ISBNs (978-604-registrant-publication-check), hyphenated as a reader copies them.
ISBN_KIEU = isbn13_check("978-604-69-1534")  # Nxb. Văn học
ISBN_HCM_TT1 = isbn13_check("978-604-57-0712")  # Nxb. Chính trị quốc gia
ISBN_DE = isbn13_check("978-604-60-0418")  # Nxb. Nông nghiệp: Kỹ thuật chăn nuôi dê
ISBN_DE_MEN = isbn13_check("978-604-2-14720")  # Nxb. Kim Đồng
ISBN_CO_SO = isbn13_check("978-604-0-02271")  # Nxb. Giáo dục: Cơ sở văn hóa Việt Nam
ISBN_HOA_VANG = isbn13_check("978-604-1-00938")  # Nxb. Trẻ
ISBN_MAT_BIEC = isbn13_check("978-604-1-15562")  # Nxb. Trẻ
ISBN_TU_DIEN = isbn13_check("978-604-84-0107")  # Nxb. Đà Nẵng: Từ điển tiếng Việt
# Real ISBNs, as in the MARC files (ISBN-10 there; the index holds ISBN-13).
ISBN10_PP_TANNER = "0-14-043072-5"  # Pride and prejudice, ed. Tony Tanner, Penguin 1972
ISBN10_PP_1995 = "0140238212"
ISBN10_PP_LARGE = "0060933259"
ISBN10_SS_1995 = "0140239316"
ISBN10_INTERP = "0136999182"
ISBN10_COMPLETE = "0140259449"
ISBN10_CINEMA = "0851705774"
ISBN13_AMATEUR = "9780415782654"


# --------------------------------------------------------------------------- records


def _rec(
    rid: str,
    title: str,
    authors: list[str] | None = None,
    year: int | None = None,
    libs: list[str] | None = None,
    *,
    subjects: list[str] | None = None,
    publisher: str | None = None,
    isbns: list[str] | None = None,
    subtitle: str | None = None,
    series: str | None = None,
    language: str = "vie",
    fmt: str = "book",
    place: str | None = None,
) -> dict:
    libs = libs or [NA]
    provinces: list[str] = []
    for lib in libs:
        provinces += [p for p in PROVINCES[lib] if p not in provinces]
    holdings = [{"library": lib, "call_number": f"{rid}/{lib}", "items": 1} for lib in libs]
    return {
        "id": f"u-{rid}",
        "title": title,
        "subtitle": subtitle,
        "authors": authors or [],
        "publisher": publisher,
        "place": place or ("H." if publisher else None),
        "year": year,
        "edition": None,
        "isbns": isbns or [],
        "language": language,
        "format": fmt,
        "subjects": subjects or [],
        "series": series,
        "extent": None,
        "pages": None,
        "libraries": libs,
        "provinces": provinces,
        "holdings_count": len(holdings),
        "holdings": holdings,
        "members": [{"library": lib, "identifier": f"oai:{lib.lower()}:{rid}"} for lib in libs],
    }


VH, GD, CTQG = "Nxb. Văn học", "Nxb. Giáo dục", "Nxb. Chính trị quốc gia"
NN, KD, TRE = "Nxb. Nông nghiệp", "Nxb. Kim Đồng", "Nxb. Trẻ"
ND = "Nguyễn Du"
HCM = "Hồ Chí Minh"
NNA = "Nguyễn Nhật Ánh"
AUSTEN = "Austen, Jane, 1775-1817"

_RECORDS = [
    # --- Nguyễn Du, Truyện Kiều, and look-alikes -------------------------------------------------------
    _rec("kieu-vh", "Truyện Kiều", [ND], 2015, [NA, HT, TH, HUE, QB], publisher=VH, isbns=[ISBN_KIEU],
         subjects=["Văn học Việt Nam", "Truyện thơ"]),
    _rec("kieu-gd", unicodedata.normalize("NFD", "Truyện Kiều"), [ND, "Đào Duy Anh"], 2008, [HT, QT],
         subtitle="khảo đính và chú thích", publisher=GD, subjects=["Văn học Việt Nam", "Truyện thơ"]),
    _rec("kieu-en", "The tale of Kiều", ["Nguyễn, Du, 1765-1820", "Huỳnh, Sanh Thông"], 1983, [HUE],
         subtitle="a bilingual edition of Nguyễn Du's Truyện Kiều", publisher="Yale University Press",
         place="New Haven", language="eng", subjects=["Vietnamese poetry"]),
    _rec("kim-van-kieu", "Kim Vân Kiều", [ND, "Nguyễn Văn Vĩnh"], 1943, [HUE],
         publisher="Editions Alexandre de Rhodes", place="Hanoi", language="fre",
         subjects=["Poésie vietnamienne"]),
    _rec("van-te", "Văn tế thập loại chúng sinh", [ND], 1998, [HT], subjects=["Văn học Việt Nam"]),
    _rec("tho-chu-han-nd", "Thơ chữ Hán Nguyễn Du", ["Lê Thước", "Trương Chính"], 1988, [HT, NA],
         publisher=VH, subjects=["Thơ chữ Hán", "Văn học trung đại"]),
    _rec("nd-tac-gia", "Nguyễn Du - về tác gia và tác phẩm", ["Trịnh Bá Đĩnh", "Nguyễn Hữu Sơn", "Vũ Thanh"],
         2003, [NA, HT], publisher=GD, subjects=["Nguyễn Du", "Truyện Kiều", "Nghiên cứu văn học"]),
    _rec("thi-phap-kieu", "Thi pháp Truyện Kiều", ["Trần Đình Sử"], 2002, [HUE, NA], publisher=GD,
         subjects=["Truyện Kiều", "Thi pháp"]),
    _rec("di-tich-nd", "Khu di tích Nguyễn Du", ["Sở Văn hóa, Thể thao và Du lịch Hà Tĩnh"], 2015, [HT],
         subjects=["Di tích lịch sử", "Hà Tĩnh"]),
    _rec("du-lich-na", "Du lịch Nghệ An", ["Nguyễn Thị Hoa"], 2018, [NA], publisher="Nxb. Nghệ An",
         subjects=["Du lịch", "Nghệ An"]),
    _rec("tho-du-tu-le", "Thơ Du Tử Lê", ["Du Tử Lê"], 1995, [HUE], subjects=["Thơ"]),
    _rec("kieu-hanh", "Kiêu hãnh và định kiến", ["Austen, Jane", "Diệp Minh Tâm"], 2013, [NA, HUE],
         publisher=VH, subjects=["Tiểu thuyết Anh"], series="Văn học nước ngoài"),
    _rec("luc-van-tien", "Truyện Lục Vân Tiên", ["Nguyễn Đình Chiểu"], 2012, [HUE, QT],
         subjects=["Truyện thơ"]),
    # --- Hồ Chí Minh ---------------------------------------------------------------------------------
    _rec("hcm-tt1", "Hồ Chí Minh toàn tập", [HCM], 2011, ALL_LIBS, subtitle="Tập 1: 1912-1924",
         publisher=CTQG, isbns=[ISBN_HCM_TT1], subjects=["Tác phẩm"]),
    _rec("nhat-ky-tu", "Nhật ký trong tù", [HCM], 1990, [NA, HUE], publisher=VH, subjects=["Thơ"]),
    _rec("prison-diary", "Prison diary", ["Hồ, Chí Minh, 1890-1969"], 1966, [NA],
         publisher="Foreign Languages Publishing House", place="Hanoi", language="eng", subjects=["Poetry"]),
    _rec("duong-kach-menh", "Đường Kách mệnh", [HCM], 2012, [NA, HT], publisher=CTQG,
         subjects=["Cách mạng", "Chính trị"]),
    _rec("di-chuc", "Di chúc của Chủ tịch Hồ Chí Minh", [HCM], 2009, [NA, TH], publisher=CTQG),
    _rec("bup-sen-xanh", "Búp sen xanh", ["Sơn Tùng"], 1982, [NA, HT], publisher=KD,
         subjects=["Hồ Chí Minh", "Tiểu thuyết"]),
    _rec("hcm-tieu-su", "Hồ Chí Minh - tiểu sử", ["Học viện Chính trị quốc gia Hồ Chí Minh"], 2006,
         [NA, TH, QB], publisher=CTQG, subjects=["Tiểu sử"]),
    _rec("tu-tuong-hcm", "Tư tưởng Hồ Chí Minh về văn hóa", ["Song Thành"], 2010, [HUE, TH], publisher=CTQG,
         subjects=["Tư tưởng Hồ Chí Minh", "Văn hóa"]),
    _rec("tphcm-300", "Sài Gòn - Thành phố Hồ Chí Minh 300 năm", [], 1998, [HUE],
         publisher="Nxb. Thành phố Hồ Chí Minh", place="TP. Hồ Chí Minh",
         subjects=["Lịch sử", "Thành phố Hồ Chí Minh"]),
    _rec("y-chi", "Ý chí vươn lên", ["Hồ Văn Minh"], 2014, [QB], subjects=["Kỹ năng sống"]),
    _rec("tho-hxh", "Thơ Hồ Xuân Hương", ["Hồ Xuân Hương"], 1987, [TH, NA], publisher=VH,
         subjects=["Thơ Nôm"]),
    _rec("thanh-nha-ho", "Thành nhà Hồ", ["Lê Văn Tạo"], 2011, [TH],
         subjects=["Di sản thế giới", "Thanh Hóa"]),
    # --- Nghệ An, lịch sử --------------------------------------------------------------------------
    _rec("ls-na", "Lịch sử Nghệ An", ["Ban Nghiên cứu và Biên soạn lịch sử Nghệ An"], 2012, [NA, HT],
         subtitle="Tập 1: Từ nguồn gốc đến Cách mạng Tháng Tám 1945", publisher=CTQG,
         subjects=["Lịch sử", "Nghệ An"]),
    _rec("ls-dang-bo-na", "Lịch sử Đảng bộ tỉnh Nghệ An", ["Ban Chấp hành Đảng bộ tỉnh Nghệ An"], 1998, [NA],
         subtitle="Tập 1: 1930-1954", publisher=CTQG, subjects=["Lịch sử Đảng", "Nghệ An"]),
    _rec("nghe-an-ky", "Nghệ An ký", ["Bùi Dương Lịch"], 2004, [NA, HT], publisher="Nxb. Khoa học xã hội",
         subjects=["Địa lý lịch sử", "Nghệ An"]),
    _rec("na-dat-nguoi", "Nghệ An - đất và người", [], 2005, [NA], publisher="Nxb. Nghệ An",
         subjects=["Nghệ An"]),
    _rec("vhdg-xu-nghe", "Văn hóa dân gian xứ Nghệ", ["Ninh Viết Giao"], 2012, [NA, HT],
         subjects=["Văn hóa dân gian", "Nghệ An"]),
    _rec("ca-dao-xu-nghe", "Kho tàng ca dao xứ Nghệ", ["Nguyễn Đổng Chi", "Ninh Viết Giao"], 1996, [NA],
         subjects=["Ca dao", "Nghệ An"]),
    _rec("quang-trung-na", "Hoàng đế Quang Trung và Phượng Hoàng Trung Đô", ["Nguyễn Quang Hồng"], 2008, [NA],
         subjects=["Quang Trung", "Nghệ An", "Lịch sử"]),
    _rec("vi-giam", "Dân ca ví, giặm Nghệ Tĩnh", [], 2014, [NA, HT],
         subjects=["Dân ca", "Nghệ An", "Hà Tĩnh"]),
    _rec("chuyen-de-vh-na", "Chuyên đề văn học địa phương Nghệ An", [], 2011, [NA], publisher=GD,
         subjects=["Văn học địa phương", "Nghệ An"]),
    _rec("mua-roi", "Nghệ thuật múa rối nước", ["Lê Văn An"], 2009, [TH], subjects=["Múa rối"]),
    _rec("tuong", "Nghệ thuật sân khấu tuồng", ["Trần Bảng"], 2003, [HUE], subjects=["Sân khấu"]),
    _rec("co-tuong", "Nghệ thuật chơi cờ tướng", ["Hoàng Minh Tâm"], 2011, [QB], subjects=["Cờ tướng"]),
    _rec("dai-cuong-lsvn", "Đại cương lịch sử Việt Nam",
         ["Trương Hữu Quýnh", "Phan Đại Doãn", "Nguyễn Cảnh Minh"],
         2000, ALL_LIBS, subtitle="Tập 1", publisher=GD, subjects=["Lịch sử Việt Nam"]),
    _rec("lsvn-vsh", "Lịch sử Việt Nam", ["Viện Sử học"], 2017, [NA, TH, HUE],
         subtitle="Tập 1: Từ khởi thủy đến thế kỷ X", publisher="Nxb. Khoa học xã hội",
         subjects=["Lịch sử Việt Nam"]),
    _rec("vn-su-luoc", "Việt Nam sử lược", ["Trần Trọng Kim"], 1999, [HUE, QT], publisher=VH,
         subjects=["Lịch sử", "Việt Nam"]),
    _rec("dvsktt", "Đại Việt sử ký toàn thư", ["Ngô Sĩ Liên"], 1998, [HUE, TH],
         publisher="Nxb. Khoa học xã hội", subjects=["Lịch sử Việt Nam", "Sử liệu"]),
    _rec("ls-thanh-hoa", "Lịch sử Thanh Hóa", ["Ban Nghiên cứu và Biên soạn lịch sử Thanh Hóa"], 1990, [TH],
         subtitle="Tập 1: Thời tiền sử và sơ sử", subjects=["Lịch sử", "Thanh Hóa"]),
    _rec("ls-the-gioi", "Lịch sử thế giới cận đại", ["Vũ Dương Ninh", "Nguyễn Văn Hồng"], 2007, [NA, HUE],
         publisher=GD, subjects=["Lịch sử thế giới"]),
    _rec("phep-lich-su", "Phép lịch sự hằng ngày", ["Nguyễn Thị Hương"], 2010, [QB, QT],
         subjects=["Giao tiếp", "Ứng xử"]),
    _rec("lich-van-nien", "Lịch vạn niên", ["Hoàng Tuấn"], 2005, [TH]),
    _rec("co-do-hue", "Cố đô Huế", ["Thái Văn Kiểm"], 1960, [HUE], subjects=["Huế", "Di tích lịch sử"]),
    _rec("kinh-thanh-hue", "Kinh thành Huế", ["Phan Thuận An"], 1999, [HUE, QT], publisher="Nxb. Thuận Hóa",
         place="Huế", subjects=["Huế", "Kiến trúc cung đình"]),
    _rec("nha-nhac", "Nhã nhạc cung đình Huế", [], 2003, [HUE], subjects=["Âm nhạc", "Huế"]),
    _rec("hue-xua", "Huế xưa", ["Nguyễn Đắc Xuân"], 2010, [HUE], subjects=["Huế", "Lịch sử"]),
    _rec("ca-hue", "Ca Huế", ["Trần Văn Khê"], 2002, [HUE], subjects=["Âm nhạc", "Huế"]),
    _rec("thanh-co-qt", "Thành cổ Quảng Trị - 81 ngày đêm", [], 2012, [QT, QB],
         subjects=["Chiến tranh Việt Nam", "Quảng Trị"]),
    _rec("phong-nha", "Phong Nha - Kẻ Bàng", [], 2010, [QB], subjects=["Du lịch", "Quảng Bình"]),
    _rec("quang-binh-dt", "Quảng Bình - di tích và danh thắng", [], 2007, [QB],
         subjects=["Quảng Bình", "Di tích lịch sử"]),
    _rec("dia-chi-ha-tinh", "Địa chí Hà Tĩnh", ["Ủy ban nhân dân tỉnh Hà Tĩnh"], 2015, [HT],
         subjects=["Địa chí", "Hà Tĩnh"]),
    _rec("lam-kinh", "Khu di tích Lam Kinh", [], 2010, [TH], subjects=["Di tích lịch sử", "Thanh Hóa"]),
    _rec("dai-nam-ntc", "Đại Nam nhất thống chí", ["Quốc sử quán triều Nguyễn"], 2006, [HUE, TH, NA],
         subjects=["Địa lý lịch sử", "Việt Nam"]),
    _rec("hoang-le", "Hoàng Lê nhất thống chí", ["Ngô gia văn phái"], 2015, [TH, NA, HUE], publisher=VH,
         subjects=["Tiểu thuyết lịch sử"]),
    _rec("nguyen-anh", "Nguyễn Ánh - Gia Long", ["Lê Nguyễn"], 2018, [HUE], subjects=["Gia Long",
         "Lịch sử Việt Nam"]),
    # --- đề / dê / dế / đê / để / đế -----------------------------------------------------------------
    _rec("van-de-dan-toc", "Vấn đề dân tộc và chính sách dân tộc ở Việt Nam", ["Phan Hữu Dật"], 2004,
         [NA, TH, QB], publisher=CTQG, subjects=["Dân tộc học", "Chính sách dân tộc"]),
    _rec("van-de-dan-cay", "Vấn đề dân cày", ["Trường Chinh", "Võ Nguyên Giáp"], 1959, [NA],
         publisher="Nxb. Sự thật", subjects=["Nông dân", "Ruộng đất"]),
    _rec("chan-nuoi-de", "Kỹ thuật chăn nuôi dê", ["Đinh Văn Bình"], 2003, [NA, HT, QB], publisher=NN,
         isbns=[ISBN_DE], subjects=["Chăn nuôi", "Dê"]),
    _rec("nuoi-de-sua", "Nuôi dê sữa và dê thịt", ["Lê Văn Thông"], 2010, [TH, QT], publisher=NN,
         subjects=["Chăn nuôi", "Dê"]),
    _rec("chu-de-den", "Chú dê đen", [], 2019, [HUE], publisher=KD,
         subjects=["Truyện tranh", "Văn học thiếu nhi"]),
    _rec("de-men", "Dế mèn phiêu lưu ký", ["Tô Hoài"], 2020, ALL_LIBS, publisher=KD, isbns=[ISBN_DE_MEN],
         subjects=["Văn học thiếu nhi"]),
    _rec("de-cuong-vh", "Đề cương văn hóa Việt Nam", ["Trường Chinh"], 2013, [NA, TH], publisher=CTQG,
         subjects=["Văn hóa", "Chính trị"]),
    _rec("de-thi-toan", "Tuyển tập đề thi Olympic 30 tháng 4 môn Toán", [], 2015, [HT], publisher=GD,
         subjects=["Toán học", "Đề thi"]),
    _rec("de-con-om", "Để con được ốm", ["Uyên Bùi", "Trí Đoàn"], 2016, [TH, QB],
         subjects=["Nuôi dạy con", "Y học"]),
    _rec("de-dieu", "Đê điều và phòng chống lụt bão", ["Bộ Nông nghiệp và Phát triển nông thôn"], 2006,
         [TH, NA, HT], publisher=NN, subjects=["Thủy lợi"]),
    _rec("de-quoc-mong-co", "Đế quốc Mông Cổ", ["Lê Minh Quốc"], 2012, [HUE], subjects=["Lịch sử thế giới",
         "Mông Cổ"]),
    # --- cổ / có / cô / cơ / cố / cỏ / cờ ------------------------------------------------------------
    _rec("kho-tang-co-tich", "Kho tàng truyện cổ tích Việt Nam", ["Nguyễn Đổng Chi"], 2000, [NA, HT, TH, HUE],
         publisher=GD, subjects=["Truyện cổ tích", "Văn học dân gian"]),
    _rec("co-tich-vn", "Cổ tích Việt Nam", ["Nguyễn Cừ"], 2016, [QB, QT], publisher=KD,
         subjects=["Truyện cổ tích"]),
    _rec("co-tich-tg", "Truyện cổ tích thế giới", [], 2012, [TH], publisher=KD, subjects=["Truyện cổ tích"]),
    _rec("co-mot-ngay", "Có một ngày", ["Phạm Lữ Ân"], 2013, [HUE, NA], publisher=TRE, subjects=["Tản văn"]),
    _rec("co-be", "Cô bé quàng khăn đỏ", ["Perrault, Charles"], 2018, [NA, QB], publisher=KD,
         subjects=["Truyện cổ tích", "Văn học thiếu nhi"]),
    _rec("co-gai-hom-qua", "Cô gái đến từ hôm qua", [NNA], 2015, [NA, HT, HUE], publisher=TRE),
    _rec("co-so-vh", "Cơ sở văn hóa Việt Nam", ["Trần Ngọc Thêm"], 1999, ALL_LIBS, publisher=GD,
         isbns=[compact(ISBN_CO_SO)], subjects=["Văn hóa Việt Nam"]),
    _rec("co-hoc", "Cơ học lý thuyết", ["Đỗ Sanh"], 2010, [HT], publisher=GD, subjects=["Cơ học"]),
    _rec("hoa-huu-co", "Hóa học hữu cơ", ["Đặng Như Tại", "Ngô Thị Thuận"], 2007, [NA, HUE], publisher=GD,
         subjects=["Hóa học hữu cơ"]),
    _rec("co-dai", "Cỏ dại", ["Tô Hoài"], 2017, [HT], publisher=VH, subjects=["Hồi ký"]),
    _rec("hoa-vang", "Tôi thấy hoa vàng trên cỏ xanh", [NNA], 2010, ALL_LIBS, publisher=TRE,
         isbns=[ISBN_HOA_VANG]),
    _rec("co-vat", "Cổ vật Việt Nam", ["Trần Đức Anh Sơn"], 2008, [HUE], subjects=["Cổ vật", "Mỹ thuật"]),
    _rec("co-phieu", "Đầu tư cổ phiếu cho người mới bắt đầu", ["Phan Minh Tâm"], 2020, [TH],
         subjects=["Chứng khoán"]),
    _rec("dac-nhan-tam", "Đắc nhân tâm", ["Carnegie, Dale"], 2016, [NA, TH, QB], publisher=TRE,
         subjects=["Kỹ năng sống"]),
    # --- hòa / hóa / họa / hoa / hỏa -----------------------------------------------------------------
    _rec("chien-tranh-hb", "Chiến tranh và hòa bình", ["Tolstoy, Lev"], 2014, [NA, HUE, TH], subtitle="Tập 1",
         publisher=VH, series="Văn học nước ngoài", subjects=["Tiểu thuyết Nga"]),
    _rec("hiep-dinh-paris", "Hiệp định Paris về chấm dứt chiến tranh, lập lại hòa bình ở Việt Nam", [], 2013,
         [QT, NA], publisher=CTQG, subjects=["Lịch sử Việt Nam", "Ngoại giao"]),
    _rec("hoa-giai", "Hoà giải ở cơ sở", ["Bộ Tư pháp"], 2016, [QB, HT], publisher="Nxb. Tư pháp",
         subjects=["Pháp luật"]),
    _rec("hoa-hoc-dc", "Hóa học đại cương", ["Nguyễn Đức Chung"], 2012, [HUE, NA], publisher=GD,
         subjects=["Hóa học"]),
    _rec("hoi-hoa", "Hội họa Việt Nam hiện đại", ["Nguyễn Quân"], 2010, [HUE], publisher="Nxb. Mỹ thuật",
         subjects=["Mỹ thuật", "Hội họa"]),
    _rec("hoa-si-bxp", "Họa sĩ Bùi Xuân Phái", [], 2001, [TH], publisher="Nxb. Mỹ thuật",
         subjects=["Hội họa"]),
    _rec("hoa-cay-canh", "Hoa và cây cảnh", ["Phạm Thị Lan"], 2008, [QB], publisher=NN,
         subjects=["Làm vườn"]),
    _rec("hoa-lo", "Nhà tù Hỏa Lò", ["Ban Quản lý Di tích Nhà tù Hỏa Lò"], 2014, [NA],
         subjects=["Di tích lịch sử", "Hà Nội"]),
    _rec("dia-chi-hoa-binh", "Địa chí Hòa Bình", ["Ủy ban nhân dân tỉnh Hòa Bình"], 2005, [TH],
         subjects=["Địa chí", "Hòa Bình"]),
    _rec("van-hoa-thanh-hoa", "Văn hoá Thanh Hoá", [], 2000, [TH], subtitle="kỷ yếu hội thảo",
         subjects=["Văn hóa", "Thanh Hóa"]),
    # --- Nguyễn Nhật Ánh and other Vietnamese literature ----------------------------------------------
    _rec("mat-biec", "Mắt biếc", [NNA], 2019, ALL_LIBS, publisher=TRE, isbns=[ISBN_MAT_BIEC]),
    _rec("cho-toi-xin", "Cho tôi xin một vé đi tuổi thơ", [NNA], 2008, [NA, TH, HUE], publisher=TRE),
    _rec("tat-den", "Tắt đèn", ["Ngô Tất Tố"], 2009, [NA, TH], publisher=VH, subjects=["Tiểu thuyết"]),
    _rec("so-do", "Số đỏ", ["Vũ Trọng Phụng"], 2017, [NA, HUE, QT], publisher=VH, subjects=["Tiểu thuyết"]),
    _rec("giong-to", "Giông tố", ["Vũ Trọng Phụng"], 2013, [HT], publisher=VH, subjects=["Tiểu thuyết"]),
    _rec("chi-pheo", "Chí Phèo", ["Nam Cao"], 2016, [NA, HT, TH], publisher=VH, subjects=["Truyện ngắn"]),
    _rec("vo-chong-a-phu", "Vợ chồng A Phủ", ["Tô Hoài"], 2014, [TH, QB], publisher=VH,
         subjects=["Truyện ngắn"]),
    _rec("tu-ay", "Từ ấy", ["Tố Hữu"], 2008, [NA], publisher=VH, subjects=["Thơ"]),
    _rec("lua-thieng", "Lửa thiêng", ["Huy Cận"], 2009, [HT], publisher=VH, subjects=["Thơ"]),
    _rec("noi-buon-ct", "Nỗi buồn chiến tranh", ["Bảo Ninh"], 2011, [NA, HUE, QT], publisher=TRE,
         subjects=["Tiểu thuyết"]),
    _rec("nhat-ky-dtt", "Nhật ký Đặng Thùy Trâm", ["Đặng Thùy Trâm"], 2005, [NA, HT, QT],
         publisher="Nxb. Hội Nhà văn", subjects=["Nhật ký", "Chiến tranh Việt Nam"]),
    _rec("vang-bong", "Vang bóng một thời", ["Nguyễn Tuân"], 2000, [HUE], publisher=VH),
    _rec("gio-dau-mua", "Gió đầu mùa", ["Thạch Lam"], 2015, [TH], publisher=KD),
    _rec("vo-nhat", "Vợ nhặt", ["Kim Lân"], 2012, [QB], publisher=VH),
    _rec("huong-rung", "Hương rừng Cà Mau", ["Sơn Nam"], 2008, [HUE], publisher=TRE),
    _rec("uc-trai", "Ức Trai thi tập", ["Nguyễn Trãi"], 2001, [TH, HT], publisher=VH),
    _rec("binh-ngo", "Bình Ngô đại cáo", ["Nguyễn Trãi"], 2010, [NA], publisher=VH),
    _rec("chinh-phu-ngam", "Chinh phụ ngâm", ["Đặng Trần Côn", "Đoàn Thị Điểm"], 2004, [HT], publisher=VH),
    _rec("hoang-tu-be", "Hoàng tử bé", ["Saint-Exupéry, Antoine de"], 2019, [TH, HUE],
         publisher="Nxb. Hội Nhà văn", subjects=["Văn học Pháp"]),
    _rec("ong-gia", "Ông già và biển cả", ["Hemingway, Ernest"], 2015, [NA], publisher=VH,
         subjects=["Tiểu thuyết Mỹ"]),
    _rec("khon-kho", "Những người khốn khổ", ["Hugo, Victor"], 2010, [HUE, TH], subtitle="Tập 1",
         publisher=VH, subjects=["Tiểu thuyết Pháp"]),
    _rec("nha-gia-kim", "Nhà giả kim", ["Coelho, Paulo"], 2017, [NA, HT, QB], publisher="Nxb. Hội Nhà văn"),
    _rec("cuon-theo-chieu-gio", "Cuốn theo chiều gió", ["Mitchell, Margaret"], 2011, [HUE], publisher=VH),
    _rec("tieng-chim", "Tiếng chim hót trong bụi mận gai", ["McCullough, Colleen"], 2014, [TH], publisher=VH),
    # --- tiếng Việt, reference ------------------------------------------------------------------------
    _rec("tv-thuc-hanh", "Tiếng Việt thực hành", ["Nguyễn Minh Thuyết", "Nguyễn Văn Hiệp"], 2019,
         [NA, HT, HUE], publisher=GD, subjects=["Tiếng Việt"]),
    _rec("ngu-phap-tv", "Ngữ pháp tiếng Việt", ["Diệp Quang Ban"], 2005, [HUE, TH], publisher=GD,
         subjects=["Tiếng Việt", "Ngữ pháp"]),
    _rec("tu-dien-tv", "Từ điển tiếng Việt", ["Hoàng Phê"], 2003, ALL_LIBS, publisher="Nxb. Đà Nẵng",
         place="Đà Nẵng", isbns=[ISBN_TU_DIEN], subjects=["Tiếng Việt", "Từ điển"]),
    _rec("tieng-viet-1", "Tiếng Việt 1", ["Bộ Giáo dục và Đào tạo"], 2020, [QB], subtitle="Tập một",
         publisher=GD, subjects=["Sách giáo khoa"]),
    _rec("tu-dien-anh-viet", "Từ điển Anh - Việt", ["Viện Ngôn ngữ học"], 2011, [NA, HUE],
         subjects=["Tiếng Anh", "Từ điển"]),
    _rec("toan-5", "Toán 5", ["Bộ Giáo dục và Đào tạo"], 2019, [HT], publisher=GD,
         subjects=["Sách giáo khoa"]),
    _rec("dan-toc-hoc", "Dân tộc học đại cương", ["Lê Sĩ Giáo"], 2001, [HUE], publisher=GD,
         subjects=["Dân tộc học"]),
    _rec("cac-dan-toc", "Các dân tộc ít người ở Việt Nam", ["Viện Dân tộc học"], 1978, [NA, TH],
         publisher="Nxb. Khoa học xã hội", subjects=["Dân tộc học", "Dân tộc thiểu số"]),
    _rec("kinh-te-vi-mo", "Kinh tế học vi mô", ["Vũ Kim Dũng"], 2015, [HUE], subjects=["Kinh tế học"]),
    _rec("tin-hoc-vp", "Tin học văn phòng", ["Nguyễn Văn Hoàng"], 2018, [QB], subjects=["Tin học"]),
    # --- agriculture, medicine, law ---------------------------------------------------------------------
    _rec("lua-nuoc", "Kỹ thuật trồng lúa nước", ["Nguyễn Văn Hoan"], 2006, [TH, NA], publisher=NN,
         subjects=["Trồng trọt", "Lúa"]),
    _rec("sau-benh-lua", "Phòng trừ sâu bệnh hại lúa", ["Hà Quang Hùng"], 2009, [TH], publisher=NN,
         subjects=["Bảo vệ thực vật", "Lúa"]),
    _rec("nuoi-ca", "Nuôi cá nước ngọt", ["Lê Văn Dân"], 2011, [QB, HT], publisher=NN, subjects=["Thủy sản"]),
    _rec("cay-an-qua", "Kỹ thuật trồng cây ăn quả", ["Trần Thế Tục"], 2004, [NA], publisher=NN,
         subjects=["Trồng trọt", "Cây ăn quả"]),
    _rec("chan-nuoi-lon", "Kỹ thuật chăn nuôi lợn", ["Nguyễn Thiện"], 2007, [HT, QT], publisher=NN,
         subjects=["Chăn nuôi", "Lợn"]),
    _rec("nuoi-bo", "Chăn nuôi bò thịt", ["Đinh Văn Cải"], 2008, [QB], publisher=NN,
         subjects=["Chăn nuôi", "Bò"]),
    _rec("cay-thuoc", "Những cây thuốc và vị thuốc Việt Nam", ["Đỗ Tất Lợi"], 2004, [NA, HT, TH, HUE],
         publisher="Nxb. Y học", subjects=["Dược học", "Cây thuốc"]),
    _rec("suc-khoe", "Sổ tay sức khỏe gia đình", [], 2012, [QT], publisher="Nxb. Y học", subjects=["Y học"]),
    _rec("nuoi-ga", "Kỹ thuật nuôi gà thả vườn", ["Bùi Đức Lũng"], 2012, [NA, QB], publisher=NN,
         subjects=["Chăn nuôi", "Gà"]),
    _rec("sua-me", "Nuôi con bằng sữa mẹ", ["Kiều Thị Mai"], 2015, [QT], publisher="Nxb. Phụ nữ",
         subjects=["Nuôi dạy con"]),
    _rec("ha-noi-36", "Hà Nội băm sáu phố phường", ["Thạch Lam"], 2014, [TH, HUE], publisher=VH,
         subjects=["Tùy bút", "Hà Nội"]),
    _rec("ban-do-vn", "Bản đồ hành chính Việt Nam", [], 2021, [QT, NA],
         publisher="Nxb. Tài nguyên - Môi trường "
         "và Bản đồ Việt Nam", fmt="map", subjects=["Bản đồ"]),
    _rec("bo-luat-ds", "Bộ luật Dân sự", ["Quốc hội"], 2016, [NA, TH, HUE], subtitle="năm 2015",
         publisher=CTQG, subjects=["Luật dân sự"]),
    _rec("luat-dat-dai", "Luật Đất đai", ["Quốc hội"], 2014, [HT, QB], subtitle="năm 2013", publisher=CTQG,
         subjects=["Luật đất đai"]),
    _rec("luat-gtdb", "Luật Giao thông đường bộ", ["Quốc hội"], 2009, [QT], publisher=CTQG,
         subjects=["Giao thông"]),
    # --- real records, from the MARC files in tests/data/marc ---------------------------------------------
    _rec("pp-tanner", "Pride and prejudice", [AUSTEN, "Tanner, Tony"], 1972, [HUE],
         subtitle="edited with an introduction by Tony Tanner", publisher="Penguin", place="Harmondsworth",
         isbns=[ISBN10_PP_TANNER], language="eng"),
    _rec("pp-1995", "Pride and prejudice", [AUSTEN], 1995, [NA], publisher="Penguin", place="London",
         isbns=[ISBN10_PP_1995], language="eng",
         subjects=["Young women -- England -- Fiction", "Courtship -- England -- Fiction"]),
    _rec("pp-large", "Pride and prejudice", [AUSTEN], 1999, [TH], publisher="HarperCollins Publishers",
         place="New York", isbns=[ISBN10_PP_LARGE], language="eng",
         subjects=["Young women -- England -- Fiction", "Courtship -- England -- Fiction",
                   "Family -- England -- Fiction"]),
    _rec("ss-1995", "Sense and sensibility", [AUSTEN], 1995, [HUE], publisher="Penguin Books", place="London",
         isbns=[ISBN10_SS_1995], language="eng", subjects=["English fiction -- 18th century"]),
    _rec("pp-interp", "Twentieth century interpretations of Pride and prejudice", ["Rubinstein, Elliot"],
         1969, [HUE], subtitle="a collection of critical essays", publisher="Prentice-Hall",
         place="Englewood Cliffs", isbns=[ISBN10_INTERP], language="eng"),
    _rec("austen-complete", "The complete novels of Jane Austen", [AUSTEN], 1996, [NA], publisher="Penguin",
         place="London", isbns=[ISBN10_COMPLETE], language="eng",
         subjects=["English fiction -- 19th century"]),
    _rec("cinema-arch", "Cinema and architecture", ["Penz, Francois", "Thomas, Maureen"], 1996, [HUE],
         subtitle="from historical to digital", publisher="BFI Publishing", place="London",
         isbns=[ISBN10_CINEMA], language="eng"),
    _rec("amateur-media", "Amateur media", ["Hunter, Dan"], 2012, [HUE],
         subtitle="social, cultural and legal perspectives", publisher="Routledge", place="Abingdon",
         isbns=[ISBN13_AMATEUR], language="eng",
         subjects=["Social media -- Law and legislation", "User-generated content"]),
    _rec("fungi", "New species of North American fungi from various localities",
         ["Ellis, Job Bicknell, 1829-1905", "Everhart, Benjamin Matlock, 1818-1904"], 1893, [HUE],
         language="eng", subjects=["Fungi -- North America"]),
    _rec("keck", "Keck & Keck, architects", ["Menocal, Narciso G."], 1980, [HUE],
         publisher="Elvehjem Museum of Art, University of Wisconsin-Madison", place="Madison", language="eng",
         subjects=["Architecture -- Middle West -- History -- 20th century -- Exhibitions"]),
]  # fmt: skip

BY_ID = {r["id"]: r for r in _RECORDS}
assert len(BY_ID) == len(_RECORDS), "duplicate record id"


def records() -> list[dict]:
    """A fresh deep copy of the corpus (callers may change it)."""
    return copy.deepcopy(_RECORDS)


# --------------------------------------------------------------------------- judged queries

CLASSES = ("accented", "unaccented", "telex-vni", "names", "typo", "isbn", "author+title", "siblings",
           "multi-syllable")  # fmt: skip


@dataclass(frozen=True)
class Judged:
    q: str
    cls: str
    grades: dict[str, int]  # union record id -> 3 / 2 / 1; unlisted = 0
    note: str = ""

    def grade(self, record_id: str) -> int:
        return self.grades.get(record_id, 0)


def _g(**grades: int) -> dict[str, int]:
    """Grades by record slug: _g(kieu_vh=3) -> {"u-kieu-vh": 3}."""
    out = {f"u-{slug.replace('_', '-')}": grade for slug, grade in grades.items()}
    unknown = set(out) - set(BY_ID)
    assert not unknown, unknown
    assert all(g in (1, 2, 3) for g in out.values())
    return out


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# Grades shared by the queries that ask for the same thing in other spellings.
# Truyện Kiều: the text itself (3), the bilingual edition (2), the French translation under its other
# title and the studies of the poem (1).
KIEU = _g(kieu_vh=3, kieu_gd=3, kieu_en=2, kim_van_kieu=1, thi_phap_kieu=1, nd_tac_gia=1)
# Nguyễn Du the author: his works in any language (3), books about him and his memorial site (2), a study
# of his poem that does not name him (1). Not "Du lịch Nghệ An" by Nguyễn Thị Hoa, not "Thơ Du Tử Lê".
NGUYEN_DU = _g(kieu_vh=3, kieu_gd=3, kieu_en=3, kim_van_kieu=3, van_te=3, tho_chu_han_nd=3, nd_tac_gia=2,
               di_tich_nd=2, thi_phap_kieu=1)  # fmt: skip
# Hồ Chí Minh: his writings, the English one under "Hồ, Chí Minh" (3), books about him (2), the city (1).
# Not "Ý chí vươn lên" by Hồ Văn Minh, not Hồ Xuân Hương, not "Thành nhà Hồ".
HO_CHI_MINH = _g(hcm_tt1=3, nhat_ky_tu=3, prison_diary=3, duong_kach_menh=3, di_chuc=3, hcm_tieu_su=2,
                 bup_sen_xanh=2, tu_tuong_hcm=2, tphcm_300=1)  # fmt: skip
# Nghệ An: general works on the province (3), local history, culture and literature (2). Not "Nghệ thuật
# múa rối nước" by Lê Văn An.
NGHE_AN = _g(na_dat_nguoi=3, ls_na=3, nghe_an_ky=3, ls_dang_bo_na=2, du_lich_na=2, vhdg_xu_nghe=2,
             ca_dao_xu_nghe=2, quang_trung_na=2, vi_giam=2, chuyen_de_vh_na=2)  # fmt: skip
# lịch sử (history): history books (2), books with history as one subject: historic sites, historical
# geography, a historical novel (1). Not "Phép lịch sự hằng ngày" (courtesy), "Lịch vạn niên", Trần Đình Sử.
LICH_SU = _g(ls_na=2, ls_dang_bo_na=2, lsvn_vsh=2, ls_thanh_hoa=2, ls_the_gioi=2, dai_cuong_lsvn=2,
             vn_su_luoc=2,
             dvsktt=2, tphcm_300=1, quang_trung_na=1, hue_xua=1, nguyen_anh=1, hiep_dinh_paris=1,
             de_quoc_mong_co=1, co_do_hue=1, quang_binh_dt=1, lam_kinh=1, hoa_lo=1, di_tich_nd=1,
         nghe_an_ky=1, dai_nam_ntc=1, hoang_le=1)  # fmt: skip
# lịch sử Việt Nam: national histories (3), the chronicle (2), a period or a figure, historical geography and
# the provincial histories (1).
LS_VIET_NAM = _g(dai_cuong_lsvn=3, lsvn_vsh=3, vn_su_luoc=3, dvsktt=2, nguyen_anh=1, hiep_dinh_paris=1,
                 dai_nam_ntc=1, ls_na=1, ls_thanh_hoa=1)  # fmt: skip
LS_NGHE_AN = _g(ls_na=3, ls_dang_bo_na=2, nghe_an_ky=2, quang_trung_na=1, na_dat_nguoi=1)
TIENG_VIET = _g(tv_thuc_hanh=2, ngu_phap_tv=2, tu_dien_tv=2, tieng_viet_1=2, tu_dien_anh_viet=1)
TU_DIEN_TV = _g(tu_dien_tv=3, tu_dien_anh_viet=1)
CO_TICH = _g(kho_tang_co_tich=3, co_tich_vn=3, co_tich_tg=3, co_be=2)  # not "Cố đô Huế" (di tích)
CO_TICH_VN = _g(co_tich_vn=3, kho_tang_co_tich=3, co_tich_tg=1)
DE_GOAT = _g(chan_nuoi_de=3, nuoi_de_sua=3, chu_de_den=2)  # dê: the goat books, the picture book
CHAN_NUOI_DE = _g(chan_nuoi_de=3, nuoi_de_sua=3)
VAN_DE_DAN_TOC = _g(van_de_dan_toc=3, cac_dan_toc=1, dan_toc_hoc=1)
HOA_BINH = _g(chien_tranh_hb=2, hiep_dinh_paris=2, dia_chi_hoa_binh=1)  # peace; the province is a guess
NHAT_KY_TU = _g(nhat_ky_tu=3, prison_diary=2)
CO_DO_HUE = _g(co_do_hue=3, kinh_thanh_hue=1, hue_xua=1)
NNA = _g(mat_biec=3, cho_toi_xin=3, co_gai_hom_qua=3, hoa_vang=3)
AUSTEN_WORKS = _g(pp_tanner=3, pp_1995=3, pp_large=3, ss_1995=3, austen_complete=3, kieu_hanh=3, pp_interp=1)
PRIDE = _g(pp_tanner=3, pp_1995=3, pp_large=3, pp_interp=1, kieu_hanh=1)
TO_HOAI = _g(de_men=3, co_dai=3, vo_chong_a_phu=3)
# unaccented "hoa": the word itself first (flowers: 2; a person named Hoa: 1), then titles whose word folds
# to it (hòa, hóa, họa, hỏa: 1); records with those forms only in a subject, author or publisher: 0.
HOA = _g(hoa_cay_canh=2, hoa_vang=2, du_lich_na=1, chien_tranh_hb=1, hiep_dinh_paris=1, hoa_giai=1,
         dia_chi_hoa_binh=1, hoa_hoc_dc=1, hoa_huu_co=1, de_cuong_vh=1, co_so_vh=1, tu_tuong_hcm=1,
         vhdg_xu_nghe=1, ls_thanh_hoa=1, van_hoa_thanh_hoa=1, hoi_hoa=1, hoa_si_bxp=1, hoa_lo=1)  # fmt: skip

J = Judged
QUERIES: list[Judged] = [
    # --- accented: typed with every mark ----------------------------------------------------------
    J("Truyện Kiều", "accented", KIEU),
    J("TRUYỆN KIỀU", "accented", KIEU, "capitals"),
    J("vấn đề dân tộc", "accented", VAN_DE_DAN_TOC),
    J("Dế mèn phiêu lưu ký", "accented", _g(de_men=3)),
    J("Cố đô Huế", "accented", CO_DO_HUE),
    J("Cơ sở văn hoá Việt Nam", "accented", _g(co_so_vh=3), "the other tone placement (hoá)"),
    J("Nhật ký trong tù", "accented", NHAT_KY_TU),
    J("Cô bé quàng khăn đỏ", "accented", _g(co_be=3)),
    J("Thành cổ Quảng Trị", "accented", _g(thanh_co_qt=3)),
    J("Đại Việt sử ký toàn thư", "accented", _g(dvsktt=3)),
    J(nfd("Kho tàng truyện cổ tích"), "accented", _g(kho_tang_co_tich=3, co_tich_vn=1, co_tich_tg=1), "NFD"),
    J("Chiến tranh và hòa bình", "accented", _g(chien_tranh_hb=3)),
    J("Từ điển tiếng Việt", "accented", TU_DIEN_TV),
    J("Tiếng Việt", "accented", TIENG_VIET),
    # --- unaccented: no marks at all ----------------------------------------------------------------
    J("truyen kieu", "unaccented", KIEU),
    J("van de dan toc", "unaccented", VAN_DE_DAN_TOC),
    J("chan nuoi de", "unaccented", CHAN_NUOI_DE),
    J("co tich", "unaccented", CO_TICH),
    J("co tich viet nam", "unaccented", CO_TICH_VN),
    J("nhat ky trong tu", "unaccented", NHAT_KY_TU),
    J("co do hue", "unaccented", CO_DO_HUE),
    J("mat biec", "unaccented", _g(mat_biec=3)),
    J("hoa binh", "unaccented", HOA_BINH),
    J("tieng viet", "unaccented", TIENG_VIET),
    J("cay thuoc", "unaccented", _g(cay_thuoc=3)),
    J("dai nam nhat thong chi", "unaccented", _g(dai_nam_ntc=3)),
    J("de men", "unaccented", _g(de_men=3)),
    J("phong nha ke bang", "unaccented", _g(phong_nha=3)),
    # --- Telex, VNI and VIQR keys left in the text -------------------------------------------------
    J("truyeenj kieeuf", "telex-vni", KIEU, "Telex: truyện kiều"),
    J("lich su73", "telex-vni", LICH_SU, "VNI: lich sử"),
    J("tie^'ng vie^.t", "telex-vni", TIENG_VIET, "VIQR: tiếng việt"),
    J("ddeef cuwowng vawn hoas", "telex-vni", _g(de_cuong_vh=3), "Telex: đề cương văn hóa"),
    J("dees menf", "telex-vni", _g(de_men=3), "Telex: dế mèn"),
    J("coor tichs", "telex-vni", CO_TICH, "Telex: cổ tích"),
    J("nguyeenx du", "telex-vni", NGUYEN_DU, "Telex: nguyễn du"),
    J("ho62 chi1 minh", "telex-vni", HO_CHI_MINH, "VNI: hồ chí minh"),
    J("nghe65 an", "telex-vni", NGHE_AN, "VNI: nghệ an"),
    J("chawn nuoi dee", "telex-vni", CHAN_NUOI_DE, "Telex: chăn nuoi dê (nuoi typed plain)"),
    J("hoaf binhf", "telex-vni", HOA_BINH, "Telex: hòa bình"),
    J("mawts bieecs", "telex-vni", _g(mat_biec=3), "Telex: mắt biếc"),
    J("tu72 d9ie63n tie61ng vie65t", "telex-vni", TU_DIEN_TV, "VNI: từ điển tiếng việt"),
    J("lichj suwr vieetj nam", "telex-vni", LS_VIET_NAM, "Telex: lịch sử việt nam"),
    J("vaans ddeef daan toocj", "telex-vni", VAN_DE_DAN_TOC, "Telex: vấn đề dân tộc"),
    J("co+ so+? va(n ho'a", "telex-vni", _g(co_so_vh=3), "VIQR: cơ sở văn hóa"),
    # --- names, in either order ----------------------------------------------------------------------
    J("Nguyễn Du", "names", NGUYEN_DU),
    J("Du Nguyễn", "names", NGUYEN_DU, "given name first"),
    J("nguyen du", "names", NGUYEN_DU),
    J("Tô Hoài", "names", TO_HOAI),
    J("Nguyễn Nhật Ánh", "names", NNA),
    J("nhat anh", "names", NNA, "the name without the family name"),
    J("Jane Austen", "names", AUSTEN_WORKS, "catalogued 'Austen, Jane'"),
    J("Austen Jane", "names", AUSTEN_WORKS),
    J("Lev Tolstoy", "names", _g(chien_tranh_hb=3), "catalogued 'Tolstoy, Lev'"),
    J("Thêm Trần Ngọc", "names", _g(co_so_vh=3), "given name first"),
    J("Hồ Xuân Hương", "names", _g(tho_hxh=3)),
    J("Vũ Trọng Phụng", "names", _g(so_do=3, giong_to=3)),
    J("Trần Đình Sử", "names", _g(thi_phap_kieu=3), "a name with 'sử' in it"),
    # --- typing errors ---------------------------------------------------------------------------------
    J("mắt biết", "typo", _g(mat_biec=3), "t for c (southern speech): biết for biếc"),
    J("truyện kiểu", "typo", KIEU, "wrong tone: kiểu for kiều"),
    J("đường cách mệnh", "typo", _g(duong_kach_menh=3), "modern spelling of the title's Kách"),
    J("hoàng lê nhất thống trí", "typo", _g(hoang_le=3), "tr for ch (northern speech)"),
    J("số đỏ vủ trọng phụng", "typo", _g(so_do=3), "hỏi for ngã (southern speech)"),
    J("dế mèn phiêu lưu kí", "typo", _g(de_men=3), "i for y"),
    J("nhật kí trong tù", "typo", NHAT_KY_TU, "i for y"),
    J("pride and prejudise", "typo", PRIDE, "misspelt English"),
    J("tắt đèn ngô tất tô", "typo", _g(tat_den=3), "a missing tone: tô for Tố"),
    J("cô bé quàng khăng đỏ", "typo", _g(co_be=3), "khăng for khăn"),
    J("ngữ pháp tiếng việc", "typo", _g(ngu_phap_tv=3), "c for t (southern speech)"),
    # --- ISBNs -------------------------------------------------------------------------------------------
    J(ISBN_DE_MEN, "isbn", _g(de_men=3), "hyphenated ISBN-13"),
    J(compact(ISBN_DE_MEN), "isbn", _g(de_men=3)),
    J(compact(ISBN_KIEU), "isbn", _g(kieu_vh=3)),
    J(ISBN_MAT_BIEC, "isbn", _g(mat_biec=3)),
    J(f"ISBN {ISBN_TU_DIEN}", "isbn", _g(tu_dien_tv=3), "with the label"),
    J(ISBN10_PP_TANNER, "isbn", _g(pp_tanner=3), "hyphenated ISBN-10 (real record)"),
    J(ISBN10_PP_1995, "isbn", _g(pp_1995=3), "ISBN-10 (real record)"),
    J("978-0-415-78265-4", "isbn", _g(amateur_media=3), "hyphenated ISBN-13 (real record)"),
    J(isbn10_to_13(ISBN10_CINEMA), "isbn", _g(cinema_arch=3), "ISBN-13 of a record catalogued with ISBN-10"),
    J(ISBN_CO_SO, "isbn", _g(co_so_vh=3), "hyphenated; the record has it compact"),
    J(ISBN_DE, "isbn", _g(chan_nuoi_de=3)),
    # --- author and title words together ----------------------------------------------------------------
    J("truyện kiều nguyễn du", "author+title",
      _g(kieu_vh=3, kieu_gd=3, kieu_en=2, kim_van_kieu=1, nd_tac_gia=1, thi_phap_kieu=1)),
    J("nguyen nhat anh mat biec", "author+title", _g(mat_biec=3)),
    J("tô hoài dế mèn", "author+title", _g(de_men=3)),
    J("austen pride and prejudice", "author+title", PRIDE),
    J("trần ngọc thêm cơ sở văn hóa", "author+title", _g(co_so_vh=3)),
    J("nhật ký trong tù hồ chí minh", "author+title", NHAT_KY_TU),
    J("tolstoy chiến tranh và hòa bình", "author+title", _g(chien_tranh_hb=3)),
    J("vũ trọng phụng số đỏ", "author+title", _g(so_do=3)),
    J("nam cao chí phèo", "author+title", _g(chi_pheo=3)),
    J("đinh văn bình chăn nuôi dê", "author+title", _g(chan_nuoi_de=3, nuoi_de_sua=1)),
    J("hoang phe tu dien", "author+title", _g(tu_dien_tv=3)),
    # --- words with accent siblings in the catalogue ------------------------------------------------------
    J("dê", "siblings", DE_GOAT, "not đề, dế, đê, để, đế"),
    J("nuôi dê", "siblings", CHAN_NUOI_DE),
    J("vấn đề", "siblings", _g(van_de_dan_toc=2, van_de_dan_cay=2), "never the goat book"),
    J("đề cương", "siblings", _g(de_cuong_vh=3)),
    J("dế", "siblings", _g(de_men=3)),
    J("đê", "siblings", _g(de_dieu=3)),
    J("đề thi", "siblings", _g(de_thi_toan=3)),
    J("cổ", "siblings", _g(kho_tang_co_tich=2, co_tich_vn=2, co_tich_tg=2, co_vat=2, thanh_co_qt=2,
                             de_quoc_mong_co=2, co_phieu=2, co_be=1)),  # fmt: skip
    J("có", "siblings", _g(co_mot_ngay=2)),
    J("cô", "siblings", _g(co_be=2, co_gai_hom_qua=2)),
    J("cơ", "siblings", _g(co_so_vh=2, co_hoc=2, hoa_huu_co=2, hoa_giai=2)),
    J("cố", "siblings", _g(co_do_hue=2)),
    J("cỏ", "siblings", _g(co_dai=2, hoa_vang=2)),
    J("hòa", "siblings", _g(chien_tranh_hb=2, hiep_dinh_paris=2, hoa_giai=2, dia_chi_hoa_binh=2)),
    J("hóa học", "siblings", _g(hoa_hoc_dc=3, hoa_huu_co=3), "not Chiến tranh và hòa bình (Văn học series)"),
    J("họa", "siblings", _g(hoi_hoa=2, hoa_si_bxp=2)),
    J("hỏa lò", "siblings", _g(hoa_lo=3)),
    J("hoa", "siblings", HOA, "unaccented: the word itself first"),
    J("tô", "siblings", _g(de_men=2, co_dai=2, vo_chong_a_phu=2), "Tô Hoài, not Tố Hữu or Ngô Tất Tố"),
    J("lịch sự", "siblings", _g(phep_lich_su=3), "courtesy, not history"),
    J("Kiêu hãnh", "siblings", _g(kieu_hanh=3), "Kiêu, not Kiều"),
    # --- words of several syllables -----------------------------------------------------------------------
    J("lịch sử", "multi-syllable", LICH_SU),
    J("Hồ Chí Minh", "multi-syllable", HO_CHI_MINH),
    J("ho chi minh", "multi-syllable", HO_CHI_MINH),
    J("Nghệ An", "multi-syllable", NGHE_AN),
    J("lịch sử Việt Nam", "multi-syllable", LS_VIET_NAM),
    J("lịch sử nghệ an", "multi-syllable", LS_NGHE_AN),
    J(nfd("Lịch sử Nghệ An"), "multi-syllable", LS_NGHE_AN, "NFD"),
    J("lich su nghe an", "multi-syllable", LS_NGHE_AN),
    J("Hồ Chí Minh toàn tập", "multi-syllable", _g(hcm_tt1=3)),
    J("thành phố Hồ Chí Minh", "multi-syllable", _g(tphcm_300=3)),
    J("văn hóa dân gian xứ Nghệ", "multi-syllable", _g(vhdg_xu_nghe=3, ca_dao_xu_nghe=1, vi_giam=1)),
]
assert len({(j.q, j.cls) for j in QUERIES}) == len(QUERIES), "duplicate query"
assert all(j.cls in CLASSES for j in QUERIES)


# --------------------------------------------------------------------------- scoring

K = 10


def dcg(grades: list[int], k: int = K) -> float:
    """Discounted cumulative gain of the grades in rank order: sum of (2^g - 1) / log2(rank + 1)."""
    return sum((2**g - 1) / math.log2(rank + 1) for rank, g in enumerate(grades[:k], start=1))


def ndcg(judged: Judged, ranked_ids: list[str], k: int = K) -> float:
    """nDCG@k of a ranking, the ideal being the judged grades in descending order."""
    ideal = dcg(sorted(judged.grades.values(), reverse=True), k)
    return dcg([judged.grade(i) for i in ranked_ids], k) / ideal if ideal else 0.0


def reciprocal_rank(judged: Judged, ranked_ids: list[str], k: int = K) -> float:
    """1 / rank of the first relevant hit (grade >= 1) within the first k, else 0."""
    for rank, rid in enumerate(ranked_ids[:k], start=1):
        if judged.grade(rid) > 0:
            return 1.0 / rank
    return 0.0
