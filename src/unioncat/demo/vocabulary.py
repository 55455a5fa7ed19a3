"""Word lists for the demo catalogues: Vietnamese names, publishers, title vocabulary, local history.

Data only; :mod:`unioncat.demo.catalogues` combines them. Text is written in NFC with the tone mark
on the first vowel of "oa", "oe", "uy" ("Thanh Hóa", "khỏe", "thủy"); the generator moves it for
the libraries that catalogue the other way. Real works (classics, standard reference sets) appear
with their real authors; everything else is combined from the lists and is fictional.
DDC numbers are plausible, not verified against DDC 23.
"""

from __future__ import annotations

# --- People ---------------------------------------------------------------------------------------

#: Family names with a rough share of the population (general knowledge; weights, not statistics).
FAMILY_NAMES: list[tuple[str, float]] = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 4), ("Huỳnh", 1), ("Phan", 4.5),
    ("Vũ", 3), ("Võ", 2), ("Đặng", 2.1), ("Bùi", 2), ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3),
    ("Dương", 1), ("Lý", 0.5), ("Đinh", 1), ("Đào", 0.8), ("Trịnh", 0.6), ("Mai", 0.5), ("Cao", 0.5),
    ("Lương", 0.4), ("Tạ", 0.3), ("Chu", 0.3), ("Thái", 0.4), ("Đoàn", 0.5), ("Hà", 0.4), ("Tô", 0.3),
    ("Kiều", 0.2), ("Nghiêm", 0.1), ("Thân", 0.1), ("Lưu", 0.3), ("Quách", 0.1), ("Tôn Nữ", 0.1),
]
MALE_MIDDLE = ["Văn", "Đức", "Hữu", "Minh", "Quang", "Xuân", "Đình", "Ngọc", "Thanh", "Công", "Duy",
               "Trọng", "Bá", "Sỹ", "Khắc", "Viết", "Tiến", "Hồng", "Thế", "Anh", "Huy", "Mạnh"]
FEMALE_MIDDLE = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Hồng", "Bích", "Thùy",
                 "Diệu", "Mai", "Phương", "Thúy", "Hoài"]
MALE_GIVEN = ["Hùng", "Dũng", "Tuấn", "Minh", "Nam", "Hải", "Sơn", "Thắng", "Long", "Quân", "Huy",
              "Đức", "Toàn", "Hòa", "Khoa", "Phong", "Cường", "Bình", "Lâm", "Trung", "Việt", "Hiếu",
              "Tùng", "Thành", "Khánh", "Thụy", "Chiến", "Lộc", "Phúc", "Tâm", "Vinh", "Quý", "Thủy",
              "Kiên", "Nghĩa", "Tài", "Hoan", "Thái", "Định", "Trí", "Lợi", "Đạt", "Hưng", "An"]
FEMALE_GIVEN = ["Lan", "Hương", "Hoa", "Mai", "Hạnh", "Thủy", "Thúy", "Hòa", "Trang", "Linh", "Nga",
                "Hằng", "Huyền", "Loan", "Nhung", "Phương", "Yến", "Vân", "Oanh", "Hoài", "Quỳnh",
                "Hiền", "Ngọc", "Châu", "Tuyết", "Thảo", "Dung", "Liên", "Xuân", "Thoa", "Khuyên"]

# --- Publishers -----------------------------------------------------------------------------------
# (key, name without "Nhà xuất bản", place, ISBN registrant codes inside 978-604, genres).
# Registrant codes are invented inside the valid 978-604 ranges (isbnlib's range table), except 339
# for Nxb. Hà Nội (vietnam.md §2.5). Places are the canonical city; "Hà Nội" is written "H." by many
# libraries. Name history: "Giáo dục" became "Giáo dục Việt Nam" (2010 here), "Chính trị Quốc gia"
# became "Chính trị Quốc gia Sự thật" (2011 here).
PUBLISHERS: list[tuple[str, str, str, tuple[str, ...], tuple[str, ...]]] = [
    ("kimdong", "Kim Đồng", "Hà Nội", ("2",), ("children", "lit", "history")),
    ("tre", "Trẻ", "Thành phố Hồ Chí Minh", ("1",), ("children", "lit", "translated", "history")),
    ("giaoduc", "Giáo dục Việt Nam", "Hà Nội", ("0",), ("textbook", "reference", "academic")),
    ("ctqg", "Chính trị Quốc gia Sự thật", "Hà Nội", ("57", "903"), ("hcm", "law", "history", "local")),
    ("vanhoc", "Văn học", "Hà Nội", ("69",), ("lit", "translated", "hcm")),
    ("hoinhavan", "Hội Nhà văn", "Hà Nội", ("53",), ("lit", "translated", "local")),
    ("laodong", "Lao động", "Hà Nội", ("59",), ("law", "medicine", "lit", "hcm")),
    ("nongnghiep", "Nông nghiệp", "Hà Nội", ("60",), ("agriculture",)),
    ("yhoc", "Y học", "Hà Nội", ("66",), ("medicine",)),
    ("tuphap", "Tư pháp", "Hà Nội", ("81",), ("law",)),
    ("phunu", "Phụ nữ Việt Nam", "Hà Nội", ("56",), ("medicine", "lit", "children")),
    ("thanhnien", "Thanh niên", "Hà Nội", ("64",), ("lit", "history", "hcm")),
    ("khxh", "Khoa học xã hội", "Hà Nội", ("956",), ("history", "local", "academic", "reference")),
    ("vhdt", "Văn hóa dân tộc", "Hà Nội", ("70",), ("local", "history")),
    ("hongduc", "Hồng Đức", "Hà Nội", ("86",), ("law", "translated", "lit", "medicine")),
    ("hanoi", "Hà Nội", "Hà Nội", ("339",), ("lit", "history", "agriculture")),
    ("thegioi", "Thế giới", "Hà Nội", ("77",), ("translated", "history")),
    ("qdnd", "Quân đội nhân dân", "Hà Nội", ("51",), ("history", "lit", "hcm")),
    ("dantri", "Dân trí", "Hà Nội", ("88",), ("children", "agriculture", "medicine")),
    ("dhqghn", "Đại học Quốc gia Hà Nội", "Hà Nội", ("62",), ("academic",)),
    ("dhsp", "Đại học Sư phạm", "Hà Nội", ("54",), ("textbook", "academic")),
    ("dhvinh", "Đại học Vinh", "Nghệ An", ("923",), ("academic", "local")),
    ("nghean", "Nghệ An", "Nghệ An", ("907", "908"), ("local", "lit", "hcm")),
    ("thanhhoa", "Thanh Hóa", "Thanh Hóa", ("74",), ("local", "lit")),
    ("thuanhoa", "Thuận Hóa", "Huế", ("942", "943"), ("local", "lit", "history")),
    ("danang", "Đà Nẵng", "Đà Nẵng", ("84",), ("local", "lit")),
    ("vhtt", "Văn hóa - Thông tin", "Hà Nội", (), ("lit", "local", "history")),
]
#: Foreign publishers for the untranslated English and French books: (key, name, place, group, registrant).
FOREIGN_PUBLISHERS: list[tuple[str, str, str, str, str]] = [
    ("penguin", "Penguin Books", "London", "0", "14"),
    ("oup", "Oxford University Press", "Oxford", "0", "19"),
    ("gallimard", "Gallimard", "Paris", "2", "07"),
    ("ldp", "Le Livre de Poche", "Paris", "2", "253"),
]

# --- Literature -----------------------------------------------------------------------------------
# Real Vietnamese works: (title, author, author dates or "", first year, literary form, DDC).
VN_CLASSICS: list[tuple[str, str, str, int, str, str]] = [
    ("Truyện Kiều", "Nguyễn Du", "1765-1820", 1820, "p", "895.9221"),
    ("Tắt đèn", "Ngô Tất Tố", "1894-1954", 1939, "f", "895.9223"),
    ("Lều chõng", "Ngô Tất Tố", "1894-1954", 1952, "f", "895.9223"),
    ("Số đỏ", "Vũ Trọng Phụng", "1912-1939", 1936, "f", "895.9223"),
    ("Dế Mèn phiêu lưu ký", "Tô Hoài", "1920-2014", 1941, "f", "895.9223"),
    ("Chí Phèo", "Nam Cao", "1915-1951", 1941, "j", "895.9223"),
    ("Nỗi buồn chiến tranh", "Bảo Ninh", "1952-", 1990, "f", "895.9223"),
    ("Đất rừng phương Nam", "Đoàn Giỏi", "1925-1989", 1957, "f", "895.9223"),
    ("Tuổi thơ dữ dội", "Phùng Quán", "1932-1995", 1988, "f", "895.9223"),
    ("Cho tôi xin một vé đi tuổi thơ", "Nguyễn Nhật Ánh", "1955-", 2008, "f", "895.9223"),
    ("Mắt biếc", "Nguyễn Nhật Ánh", "1955-", 1990, "f", "895.9223"),
    ("Tôi thấy hoa vàng trên cỏ xanh", "Nguyễn Nhật Ánh", "1955-", 2010, "f", "895.9223"),
    ("Nhật ký Đặng Thùy Trâm", "Đặng Thùy Trâm", "1942-1970", 2005, "0", "895.9228"),
    ("Vang bóng một thời", "Nguyễn Tuân", "1910-1987", 1940, "j", "895.9223"),
    ("Những ngày thơ ấu", "Nguyên Hồng", "1918-1982", 1940, "0", "895.9228"),
    ("Bỉ vỏ", "Nguyên Hồng", "1918-1982", 1938, "f", "895.9223"),
    ("Thời xa vắng", "Lê Lựu", "1942-2022", 1986, "f", "895.9223"),
    ("Bến không chồng", "Dương Hướng", "1949-", 1990, "f", "895.9223"),
    ("Chiếc thuyền ngoài xa", "Nguyễn Minh Châu", "1930-1989", 1983, "j", "895.9223"),
    ("Mảnh đất lắm người nhiều ma", "Nguyễn Khắc Trường", "1946-", 1990, "f", "895.9223"),
    ("Thơ Hồ Xuân Hương", "Hồ Xuân Hương", "", 1800, "p", "895.9221"),
    ("Nhật ký trong tù", "Hồ Chí Minh", "1890-1969", 1943, "p", "895.9221"),
    ("Búp sen xanh", "Sơn Tùng", "1928-2021", 1982, "f", "895.9223"),
    ("Đất nước đứng lên", "Nguyên Ngọc", "1932-", 1955, "f", "895.9223"),
    ("Vợ nhặt", "Kim Lân", "1920-2007", 1962, "j", "895.9223"),
    ("Hà Nội băm sáu phố phường", "Thạch Lam", "1910-1942", 1943, "e", "895.9228"),
    ("Gió lạnh đầu mùa", "Thạch Lam", "1910-1942", 1937, "j", "895.9223"),
    ("Chinh phụ ngâm", "Đặng Trần Côn", "", 1741, "p", "895.9221"),
    ("Từ ấy", "Tố Hữu", "1920-2002", 1946, "p", "895.9221"),
    ("Đất nước", "Nguyễn Khoa Điềm", "1943-", 1974, "p", "895.9221"),
]
# Real foreign classics in Vietnamese translation: (Vietnamese title, original title, original
# language, author name variants (first = international form), dates, DDC).
TRANSLATED_CLASSICS: list[tuple[str, str, str, tuple[str, ...], str, str]] = [
    ("Những người khốn khổ", "Les Misérables", "fre", ("Victor Hugo", "Vích-to Huy-gô"), "1802-1885", "843"),
    ("Nhà thờ Đức Bà Paris", "Notre-Dame de Paris", "fre", ("Victor Hugo", "Vích-to Huy-gô"), "1802-1885", "843"),
    ("Chiến tranh và hòa bình", "Война и мир", "rus", ("Lev Tolstoy", "Lép Tônxtôi", "L. Tôn-xtôi"),
     "1828-1910", "891.73"),
    ("Ông già và biển cả", "The old man and the sea", "eng", ("Ernest Hemingway", "Ơ-nít Hê-minh-uê"),
     "1899-1961", "813"),
    ("Hoàng tử bé", "Le Petit Prince", "fre", ("Antoine de Saint-Exupéry", "Ăng-toan đơ Xanh-tơ Ê-xu-pe-ri"),
     "1900-1944", "843"),
    ("Nhà giả kim", "O alquimista", "por", ("Paulo Coelho",), "1947-", "869.3"),
    ("Đồi gió hú", "Wuthering Heights", "eng", ("Emily Brontë",), "1818-1848", "823"),
    ("Kiêu hãnh và định kiến", "Pride and prejudice", "eng", ("Jane Austen",), "1775-1817", "823"),
    ("Thép đã tôi thế đấy", "Как закалялась сталь", "rus", ("Nikolai Ostrovsky", "N. A. Ôxtrốpxki"),
     "1904-1936", "891.73"),
    ("Không gia đình", "Sans famille", "fre", ("Hector Malot", "Héc-to Ma-lô"), "1830-1907", "843"),
    ("Cuốn theo chiều gió", "Gone with the wind", "eng", ("Margaret Mitchell",), "1900-1949", "813"),
    ("Ba chàng lính ngự lâm", "Les trois mousquetaires", "fre", ("Alexandre Dumas", "A. Đuy-ma"),
     "1802-1870", "843"),
    ("Bá tước Monte Cristo", "Le comte de Monte-Cristo", "fre", ("Alexandre Dumas", "A. Đuy-ma"),
     "1802-1870", "843"),
    ("Những cuộc phiêu lưu của Tom Sawyer", "The adventures of Tom Sawyer", "eng", ("Mark Twain",),
     "1835-1910", "813"),
    ("Đắc nhân tâm", "How to win friends and influence people", "eng", ("Dale Carnegie",), "1888-1955", "158.2"),
    ("Túp lều bác Tôm", "Uncle Tom's cabin", "eng", ("Harriet Beecher Stowe",), "1811-1896", "813"),
    ("Tiếng chim hót trong bụi mận gai", "The thorn birds", "eng", ("Colleen McCullough",), "1937-2015", "823"),
    ("Đỏ và đen", "Le rouge et le noir", "fre", ("Stendhal", "Xtăng-đan"), "1783-1842", "843"),
]
#: Untranslated foreign books held mainly by the university library: (title, author, dates, lang, DDC, publisher key).
FOREIGN_ORIGINALS: list[tuple[str, str, str, str, str, str]] = [
    ("The old man and the sea", "Hemingway, Ernest", "1899-1961", "eng", "813", "penguin"),
    ("Pride and prejudice", "Austen, Jane", "1775-1817", "eng", "823", "penguin"),
    ("Wuthering Heights", "Brontë, Emily", "1818-1848", "eng", "823", "oup"),
    ("The quiet American", "Greene, Graham", "1904-1991", "eng", "823", "penguin"),
    ("Vietnam : a history", "Karnow, Stanley", "1925-2013", "eng", "959.704", "penguin"),
    ("Oxford advanced learner's dictionary of current English", "Hornby, A. S.", "1898-1978", "eng",
     "423", "oup"),
    ("English grammar in use", "Murphy, Raymond", "", "eng", "428.24", "oup"),
    ("Le Petit Prince", "Saint-Exupéry, Antoine de", "1900-1944", "fre", "843", "gallimard"),
    ("Les Misérables", "Hugo, Victor", "1802-1885", "fre", "843", "ldp"),
    ("L'amant", "Duras, Marguerite", "1914-1996", "fre", "843", "ldp"),
    ("Un barrage contre le Pacifique", "Duras, Marguerite", "1914-1996", "fre", "843", "gallimard"),
    ("L'Étranger", "Camus, Albert", "1913-1960", "fre", "843", "gallimard"),
]

LIT_HEADS = ["Mùa", "Dòng sông", "Bến", "Cánh đồng", "Ngọn đèn", "Con đường", "Miền", "Giấc mơ",
             "Tiếng gọi", "Ký ức", "Chuyện", "Những ngày", "Người", "Khúc hát", "Bóng", "Hoa",
             "Phía sau", "Mái nhà", "Ánh trăng", "Cơn mưa", "Đêm", "Chiều", "Nắng", "Gió", "Lời ru"]
LIT_TAILS = ["tuổi thơ", "quê", "biển", "lửa", "mùa thu", "xa xứ", "không tên", "trên núi", "cỏ may",
             "hoa gạo", "phượng vĩ", "sông Lam", "sông Hương", "sông Mã", "Trường Sơn", "hòa bình",
             "yêu thương", "ngày cũ", "tháng Ba", "biên giới", "làng", "phố cũ", "đồng đội", "mẹ",
             "thương nhớ", "cuối trời", "bình yên", "miền Trung", "mùa lũ", "cát trắng", "xứ Nghệ"]
LIT_GENRES = [("Tiểu thuyết", "f", "895.9223"), ("Tập truyện ngắn", "j", "895.9223"),
              ("Thơ", "p", "895.9221"), ("Tản văn", "e", "895.9228"), ("Hồi ký", "0", "895.9228"),
              ("Bút ký", "e", "895.9228"), ("Truyện vừa", "f", "895.9223")]

# --- Children -------------------------------------------------------------------------------------
#: Numbered children's series (real series names): (title, author, publisher key, first year,
#: number of volumes, original language or "", DDC).
CHILDREN_SERIES: list[tuple[str, str, str, int, int, str, str]] = [
    ("Doraemon : Truyện ngắn", "Fujiko F. Fujio", "kimdong", 1998, 45, "jpn", "895.63"),
    ("Thám tử lừng danh Conan", "Aoyama Gosho", "kimdong", 2001, 60, "jpn", "895.63"),
    ("Kính vạn hoa", "Nguyễn Nhật Ánh", "kimdong", 1995, 18, "", "895.9223"),
    ("Thần đồng đất Việt", "Lê Linh", "tre", 2002, 40, "", "741.5"),
    ("Lịch sử Việt Nam bằng tranh", "Trần Bạch Đằng", "tre", 2002, 53, "", "959.7"),
    ("Truyện cổ tích Việt Nam", "Nguyễn Đổng Chi", "kimdong", 1993, 5, "", "398.209597"),
]
ANIMALS = ["Thỏ", "Mèo", "Cún", "Gấu", "Sóc", "Voi", "Khỉ", "Nhím", "Cáo", "Vịt", "Gà", "Ong",
           "Ếch", "Rùa", "Chim sẻ", "Cá heo", "Bướm", "Dế"]
CHILD_TRAITS = ["con tinh nghịch", "con thông minh", "con dũng cảm", "đi học", "tìm bạn",
                "và chiếc ô đỏ", "và mùa đông", "lạc đường", "ham chơi", "biết lỗi", "tốt bụng",
                "và cây táo thần", "đi chợ", "giúp mẹ", "làm vườn", "và cầu vồng"]
CHILD_SERIES_NAMES = ["Tủ sách Tuổi thần tiên", "Truyện tranh mẫu giáo", "Tủ sách Em yêu khoa học",
                      "Truyện cổ tích thế giới", "Tủ sách Kỹ năng sống"]
CHILD_TOPICS = ["Em tìm hiểu {x}", "Khám phá {x}", "10 vạn câu hỏi vì sao về {x}", "Bé học {x}"]
CHILD_TOPIC_X = ["thế giới động vật", "vũ trụ", "cơ thể người", "đại dương", "khủng long",
                 "thời tiết", "các loài cây", "biển đảo Việt Nam", "giao thông", "nghề nghiệp"]

# --- Hồ Chí Minh ----------------------------------------------------------------------------------
HCM_TITLES = [
    "Di chúc của Chủ tịch Hồ Chí Minh",
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Những mẩu chuyện về đời hoạt động của Hồ Chủ tịch",
    "Bác Hồ với thiếu nhi",
    "Tư tưởng Hồ Chí Minh về xây dựng Đảng",
    "Chủ tịch Hồ Chí Minh - tiểu sử",
    "Bác Hồ viết Di chúc",
    "Hồ Chí Minh - nhà văn hóa kiệt xuất",
    "Phong cách Hồ Chí Minh",
    "Kể chuyện Bác Hồ",
    "Đạo đức Hồ Chí Minh",
    "Hồ Chí Minh với công tác dân vận",
]

# --- Agriculture, medicine, law, textbooks, academic -----------------------------------------------
CROPS = [("lúa", "633.1"), ("ngô", "633.1"), ("lạc", "633.3"), ("cam", "634.3"), ("bưởi", "634.3"),
         ("chè", "633.72"), ("cà phê", "633.73"), ("hồ tiêu", "633.84"), ("rau an toàn", "635"),
         ("nấm ăn", "635.8"), ("sắn", "633.6"), ("mía", "633.61"), ("cây ăn quả", "634"), ("keo lai", "634.9")]
ANIMALS_FARM = [("lợn", "636.4"), ("gà", "636.5"), ("vịt", "636.5"), ("bò", "636.2"), ("dê", "636.3"),
                ("cá nước ngọt", "639.3"), ("tôm", "639.5"), ("ong mật", "638.1"), ("trâu", "636.2")]
AGRI_CROP_T = ["Kỹ thuật trồng {x}", "Kỹ thuật trồng và chăm sóc {x}", "Phòng trừ sâu bệnh hại {x}",
               "Hỏi đáp về cây {x}", "Sổ tay trồng {x}"]
AGRI_ANIMAL_T = ["Kỹ thuật chăn nuôi {x}", "Phòng và trị bệnh cho {x}", "Hướng dẫn nuôi {x}",
                 "Nuôi {x} đạt năng suất cao"]
MEDICINE_T = [
    ("Phòng và điều trị bệnh {x}", "616"), ("Cẩm nang chăm sóc sức khỏe {g}", "613"),
    ("Dinh dưỡng cho {g}", "613.2"), ("Thuốc nam chữa bệnh {x}", "615.8"),
    ("Sơ cứu ban đầu", "616.02"), ("Chăm sóc trẻ em bị bệnh {x}", "618.92"),
    ("Bài thuốc dân gian chữa bệnh {x}", "615.8"), ("Sống khỏe với bệnh {x}", "616"),
]
DISEASES = ["tiểu đường", "cao huyết áp", "tim mạch", "xương khớp", "dạ dày", "hô hấp",
            "sốt xuất huyết", "gan", "thận", "da liễu", "răng miệng", "mắt"]
HEALTH_GROUPS = ["người cao tuổi", "phụ nữ mang thai", "trẻ em", "gia đình", "học sinh", "người lao động"]
LAWS = [("Bộ luật Dân sự", "346.597"), ("Bộ luật Hình sự", "345.597"), ("Luật Đất đai", "346.59704"),
        ("Luật Hôn nhân và gia đình", "346.59701"), ("Luật Giáo dục", "344.597"),
        ("Luật Giao thông đường bộ", "343.59709"), ("Luật Thư viện", "344.597092"),
        ("Luật Bảo vệ môi trường", "344.597046"), ("Luật Lao động", "344.59701"),
        ("Luật Trẻ em", "346.597013"), ("Luật Phòng, chống bạo lực gia đình", "345.597025"),
        ("Luật Cư trú", "342.597083"), ("Luật Thuế thu nhập cá nhân", "343.597052"),
        ("Luật Bảo hiểm xã hội", "344.59702"), ("Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam", "342.597")]
LAW_T = ["{law}", "{law} (hiện hành)", "Tìm hiểu {law}", "Hỏi - đáp về {law}", "Luật sửa đổi, bổ sung {law}"]
LAW_YEARS = [1999, 2003, 2005, 2010, 2013, 2014, 2015, 2017, 2019, 2020, 2022, 2024]
TEXTBOOK_SUBJECTS = [("Tiếng Việt", "372.6", range(1, 6)), ("Toán", "372.7", range(1, 6)),
                     ("Ngữ văn", "807", range(6, 13)), ("Toán", "510", range(6, 13)),
                     ("Lịch sử và Địa lí", "372.89", range(4, 10)), ("Khoa học tự nhiên", "507", range(6, 10)),
                     ("Tiếng Anh", "428", range(3, 13)), ("Vật lí", "530", range(10, 13)),
                     ("Hóa học", "540", range(10, 13)), ("Sinh học", "570", range(10, 13)),
                     ("Giáo dục công dân", "170", range(6, 10)), ("Tin học", "004", range(3, 13))]
#: Textbook series of the 2018 general education programme (real names) and their publisher keys.
TEXTBOOK_SERIES = [("Kết nối tri thức với cuộc sống", "giaoduc"), ("Chân trời sáng tạo", "giaoduc"),
                   ("Cánh diều", "dhsp")]
ACADEMIC_T = [
    ("Giáo trình Triết học Mác - Lênin", "335.411"), ("Giáo trình Kinh tế chính trị Mác - Lênin", "335.412"),
    ("Giáo trình Chủ nghĩa xã hội khoa học", "335.423"), ("Giáo trình Tư tưởng Hồ Chí Minh", "335.4346"),
    ("Giáo trình Lịch sử Đảng Cộng sản Việt Nam", "324.2597075"), ("Giáo trình Toán cao cấp", "510"),
    ("Giáo trình Xác suất thống kê", "519.2"), ("Giáo trình Hóa học hữu cơ", "547"),
    ("Giáo trình Vật lý đại cương", "530"), ("Giáo trình Tâm lý học đại cương", "150"),
    ("Giáo trình Giáo dục học", "370"), ("Giáo trình Cơ sở dữ liệu", "005.74"),
    ("Giáo trình Lập trình hướng đối tượng", "005.117"), ("Giáo trình Kinh tế vi mô", "338.5"),
    ("Giáo trình Kinh tế vĩ mô", "339"), ("Giáo trình Luật Hiến pháp Việt Nam", "342.597"),
    ("Giáo trình Ngôn ngữ học đối chiếu", "410"), ("Giáo trình Văn học Việt Nam hiện đại", "895.92209"),
    ("Giáo trình Nuôi trồng thủy sản", "639.8"), ("Giáo trình Kỹ thuật điện", "621.3"),
    ("Phương pháp nghiên cứu khoa học", "001.42"), ("Cơ sở văn hóa Việt Nam", "306.09597"),
    ("Tiếng Việt thực hành", "495.9225"), ("Thống kê ứng dụng trong kinh tế", "519.5"),
]
REFERENCE = [
    ("Từ điển tiếng Việt", "Hoàng Phê", "", "495.9223", "reference"),
    ("Đại từ điển tiếng Việt", "Nguyễn Như Ý", "", "495.9223", "reference"),
    ("Từ điển Anh - Việt", "", "", "423.95922", "reference"),
    ("Từ điển Việt - Anh", "", "", "495.922321", "reference"),
    ("Từ điển Hán - Việt", "Đào Duy Anh", "1904-1988", "495.1395922", "reference"),
    ("Từ điển thành ngữ, tục ngữ Việt Nam", "Nguyễn Lân", "1906-2003", "398.909597", "reference"),
    ("Sổ tay chính tả tiếng Việt", "", "", "495.9221", "reference"),
]
#: Real multi-volume national sets: (title, author or corporate body, is corporate, publisher key,
#: year, volumes, DDC, edition number or 0).
NATIONAL_SETS: list[tuple[str, str, bool, str, int, int, str, int]] = [
    ("Hồ Chí Minh toàn tập", "Hồ Chí Minh", False, "ctqg", 2011, 15, "335.4346", 3),
    ("Lịch sử Việt Nam", "Viện Sử học", True, "khxh", 2017, 15, "959.7", 0),
    ("Đại Việt sử ký toàn thư", "Ngô Sĩ Liên", False, "khxh", 1998, 4, "959.701", 0),
    ("Văn kiện Đảng toàn tập", "Đảng Cộng sản Việt Nam", True, "ctqg", 2000, 12, "324.2597075", 0),
    ("Tổng tập văn học Việt Nam", "", False, "khxh", 2000, 8, "895.92208", 0),
]
HISTORY_T = [
    ("Chiến dịch Điện Biên Phủ", "959.7041"), ("Cuộc kháng chiến chống Mỹ cứu nước", "959.7043"),
    ("Đường Trường Sơn - đường Hồ Chí Minh", "959.7043"), ("Cách mạng tháng Tám năm 1945", "959.7032"),
    ("Biển Đông và chủ quyền biển đảo Việt Nam", "320.1509597"), ("Hoàng Sa, Trường Sa - tư liệu và quan điểm",
                                                                  "320.1509597"),
    ("Các triều đại Việt Nam", "959.7"), ("Danh tướng Việt Nam", "959.70922"),
    ("Lịch sử Việt Nam từ nguồn gốc đến năm 1858", "959.701"), ("Việt Nam sử lược", "959.7"),
    ("Tiến trình lịch sử Việt Nam", "959.7"), ("Những trận đánh nổi tiếng trong lịch sử Việt Nam", "959.7"),
]

# --- Local history (North Central Coast) ------------------------------------------------------------
#: Per former province: districts, rivers, sights, people, folk arts, local publisher key, DDC area.
REGIONS: dict[str, dict] = {
    "Thanh Hóa": dict(
        districts=["Hoằng Hóa", "Thọ Xuân", "Nga Sơn", "Hậu Lộc", "Tĩnh Gia", "Quảng Xương", "Vĩnh Lộc",
                   "Triệu Sơn", "Ngọc Lặc", "Bá Thước"],
        rivers=["sông Mã", "sông Chu"],
        sights=["Thành nhà Hồ", "Khu di tích Lam Kinh", "Biển Sầm Sơn", "Đền Bà Triệu", "Pù Luông"],
        people=["Bà Triệu", "Lê Lợi", "Lê Hoàn", "Đào Duy Từ"],
        folk=["Trò Xuân Phả", "Hò sông Mã", "Pồn pông Mường"],
        publisher="thanhhoa", ddc="959.741"),
    "Nghệ An": dict(
        districts=["Nam Đàn", "Diễn Châu", "Quỳnh Lưu", "Thanh Chương", "Đô Lương", "Yên Thành", "Hưng Nguyên",
                   "Nghi Lộc", "Con Cuông", "Anh Sơn"],
        rivers=["sông Lam", "sông Hiếu"],
        sights=["Khu di tích Kim Liên", "Biển Cửa Lò", "Vườn quốc gia Pù Mát", "Đền Cuông", "Thành cổ Vinh"],
        people=["Phan Bội Châu", "Nguyễn Thị Minh Khai", "Mai Thúc Loan", "Hồ Tùng Mậu"],
        folk=["Dân ca ví, giặm Nghệ Tĩnh", "Hát phường vải"],
        publisher="nghean", ddc="959.742"),
    "Hà Tĩnh": dict(
        districts=["Can Lộc", "Nghi Xuân", "Đức Thọ", "Hương Khê", "Cẩm Xuyên", "Thạch Hà", "Kỳ Anh",
                   "Hương Sơn", "Lộc Hà", "Vũ Quang"],
        rivers=["sông La", "sông Ngàn Phố"],
        sights=["Ngã ba Đồng Lộc", "Núi Hồng Lĩnh", "Biển Thiên Cầm", "Chùa Hương Tích", "Khu lưu niệm Nguyễn Du"],
        people=["Nguyễn Du", "Hải Thượng Lãn Ông", "Trần Phú", "Phan Đình Phùng"],
        folk=["Dân ca ví, giặm Nghệ Tĩnh", "Ca trù Cổ Đạm"],
        publisher="nghean", ddc="959.743"),
    "Quảng Bình": dict(
        districts=["Lệ Thủy", "Quảng Ninh", "Bố Trạch", "Tuyên Hóa", "Minh Hóa", "Quảng Trạch"],
        rivers=["sông Gianh", "sông Nhật Lệ", "sông Kiến Giang"],
        sights=["Phong Nha - Kẻ Bàng", "Lũy Thầy", "Vũng Chùa - Đảo Yến", "Động Thiên Đường", "Đèo Ngang"],
        people=["Võ Nguyên Giáp", "Hoàng Kế Viêm", "Nguyễn Hữu Cảnh"],
        folk=["Hò khoan Lệ Thủy", "Đua thuyền truyền thống"],
        publisher="thuanhoa", ddc="959.745"),
    "Quảng Trị": dict(
        districts=["Vĩnh Linh", "Gio Linh", "Cam Lộ", "Triệu Phong", "Hải Lăng", "Hướng Hóa", "Đakrông"],
        rivers=["sông Thạch Hãn", "sông Bến Hải"],
        sights=["Thành cổ Quảng Trị", "Địa đạo Vịnh Mốc", "Cầu Hiền Lương", "Khe Sanh", "Đảo Cồn Cỏ",
                "Nghĩa trang liệt sĩ Trường Sơn"],
        people=["Lê Duẩn", "Nguyễn Hoàng"],
        folk=["Hò mái đẩy", "Lễ hội Vân Kiều - Pa Kô"],
        publisher="thuanhoa", ddc="959.747"),
    "Thừa Thiên Huế": dict(
        districts=["Phong Điền", "Quảng Điền", "Hương Trà", "Hương Thủy", "Phú Vang", "Phú Lộc", "A Lưới",
                   "Nam Đông"],
        rivers=["sông Hương", "sông Bồ"],
        sights=["Kinh thành Huế", "Lăng Tự Đức", "Chùa Thiên Mụ", "Phá Tam Giang", "Vườn quốc gia Bạch Mã"],
        people=["Vua Quang Trung", "Nguyễn Khoa Đăng", "Ưng Bình Thúc Giạ Thị"],
        folk=["Ca Huế", "Nhã nhạc cung đình Huế", "Hò mái nhì"],
        publisher="thuanhoa", ddc="959.749"),
}
#: Provinces whose readers share an interest (neighbours, Nghệ Tĩnh, the 2025 Quảng Trị merger).
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "Thanh Hóa": ("Nghệ An",),
    "Nghệ An": ("Hà Tĩnh", "Thanh Hóa"),
    "Hà Tĩnh": ("Nghệ An", "Quảng Bình"),
    "Quảng Bình": ("Quảng Trị", "Hà Tĩnh"),
    "Quảng Trị": ("Quảng Bình", "Thừa Thiên Huế"),
    "Thừa Thiên Huế": ("Quảng Trị",),
}
#: Local-history titles; {p} province, {d} district, {r} river, {s} sight, {h} person, {f} folk art.
LOCAL_T: list[tuple[str, str, str]] = [
    # (title, subtitle or "", kind) — kind decides the subjects and the DDC.
    ("Lịch sử Đảng bộ tỉnh {p}", "", "party"),
    ("Lịch sử Đảng bộ huyện {d}", "1930 - 2020", "party"),
    ("Lịch sử Đảng bộ và nhân dân huyện {d}", "", "party"),
    ("Địa chí huyện {d}", "", "geo"),
    ("{p} - đất và người", "", "geo"),
    ("Danh nhân {p}", "", "people"),
    ("Văn hóa dân gian {p}", "", "folk"),
    ("Lễ hội truyền thống {p}", "", "folk"),
    ("Làng nghề truyền thống {p}", "", "folk"),
    ("Di tích lịch sử - văn hóa {p}", "", "geo"),
    ("{s}", "", "geo"),
    ("{s} - di sản và du lịch", "", "geo"),
    ("{f}", "", "folk"),
    ("Ca dao, dân ca {p}", "", "folk"),
    ("Truyện kể dân gian {d}", "", "folk"),
    ("Ẩm thực {p}", "", "folk"),
    ("{h} với quê hương {p}", "", "people"),
    ("Bác Hồ với {p}", "", "people"),
    ("Chuyện kể về {h}", "", "people"),
    ("Kỷ yếu hội thảo khoa học về {h}", "", "people"),
    ("Văn bia {p}", "", "geo"),
    ("Địa danh {p}", "", "geo"),
    ("{r} - dòng sông ký ức", "", "geo"),
    ("Những người con {p} trong kháng chiến", "", "party"),
    ("Tuyển tập thơ văn {p}", "", "lit"),
    ("Non nước {p}", "", "geo"),
    ("Tên làng xã {p}", "", "geo"),
]
#: Real regional magazines (title, region or "" for national, frequency code, frequency text, start year).
SERIALS: list[tuple[str, str, str, str, int]] = [
    ("Tạp chí Cộng sản", "", "m", "Hàng tháng", 1955),
    ("Thư viện Việt Nam", "", "b", "2 tháng/kỳ", 2004),
    ("Văn nghệ quân đội", "", "m", "Hàng tháng", 1957),
    ("Nghiên cứu lịch sử", "", "m", "Hàng tháng", 1959),
    ("Văn học nước ngoài", "", "b", "2 tháng/kỳ", 1996),
    ("Xứ Thanh", "Thanh Hóa", "m", "Hàng tháng", 1991),
    ("Văn hóa Nghệ An", "Nghệ An", "m", "Hàng tháng", 2007),
    ("Hồng Lĩnh", "Hà Tĩnh", "b", "2 tháng/kỳ", 1990),
    ("Nhật Lệ", "Quảng Bình", "m", "Hàng tháng", 1990),
    ("Cửa Việt", "Quảng Trị", "m", "Hàng tháng", 1991),
    ("Sông Hương", "Thừa Thiên Huế", "m", "Hàng tháng", 1983),
]
