"""Interface language: Vietnamese first, English on request (pure).

Templates write their text in Vietnamese and wrap it in ``_("…")``; ``EN`` maps each string to English.
The reader picks English with ``?lang=en`` (remembered in a cookie) and goes back with ``?lang=vi``.
A test checks that every ``_("…")`` string in the templates has an English translation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"
COOKIE = "lang"

EN: dict[str, str] = {
    # layout
    "Mục lục liên hợp": "Union catalogue",
    "Thư viện Bắc Miền Trung": "North Central Coast libraries",
    "Bỏ qua đến nội dung chính": "Skip to main content",
    "Tra cứu": "Search",
    "Thống kê": "Statistics",
    "Quản trị": "Staff",
    "Ngôn ngữ giao diện": "Interface language",
    "Điều hướng chính": "Main navigation",
    "Mục lục liên hợp của các thư viện công cộng tỉnh.": "Union catalogue of the provincial public libraries.",
    "Dữ liệu thu thập hằng đêm qua OAI-PMH.": "Data harvested nightly over OAI-PMH.",
    # search page
    "Tìm sách trong tất cả thư viện thành viên": "Search the books of every member library",
    "Tìm kiếm": "Search",
    "Từ khóa": "Search terms",
    "Nhan đề, tác giả, chủ đề, ISBN… (gõ không dấu cũng được)":
        "Title, author, subject, ISBN… (diacritics optional)",
    "Tìm": "Search",
    "Lọc kết quả": "Refine results",
    "Bộ lọc đang áp dụng": "Active filters",
    "Bỏ lọc": "Remove filter",
    "Bỏ tất cả bộ lọc": "Clear all filters",
    "Thư viện": "Library",
    "Tỉnh/thành": "Province",
    "Năm xuất bản": "Year",
    "Ngôn ngữ": "Language",
    "Loại tài liệu": "Format",
    "Chủ đề": "Subject",
    "Từ năm": "From year",
    "Đến năm": "To year",
    "Áp dụng": "Apply",
    "Sắp xếp": "Sort by",
    "Phù hợp nhất": "Relevance",
    "Năm mới nhất": "Newest first",
    "Năm cũ nhất": "Oldest first",
    "Nhan đề A–Z": "Title A–Z",
    "Sắp xếp lại": "Re-sort",
    "kết quả": "results",
    "Kết quả tìm kiếm": "Search results",
    "Không tìm thấy tài liệu nào.": "No records found.",
    "Thử bỏ bớt bộ lọc hoặc dùng từ khóa khác.": "Try removing a filter or using other words.",
    "Trang trước": "Previous page",
    "Trang sau": "Next page",
    "Trang": "Page",
    "Phân trang": "Pagination",
    "bản": "copies",
    "Có tại": "Held by",
    "Xem thêm": "More",
    "Thu gọn": "Fewer",
    "Tra cứu tạm thời không thực hiện được. Vui lòng thử lại sau.":
        "Search is temporarily unavailable. Please try again later.",
    "Truy vấn không hợp lệ": "Invalid query",
    # record page
    "Biểu ghi": "Record",
    "Thông tin xuất bản": "Publication",
    "Trách nhiệm": "Statement of responsibility",
    "Tác giả": "Authors",
    "Lần xuất bản": "Edition",
    "Xuất bản": "Imprint",
    "Mô tả vật lý": "Physical description",
    "Tùng thư": "Series",
    "Phân loại": "Classification",
    "Ghi chú": "Notes",
    "Định danh": "Identifiers",
    "Liên kết": "Links",
    "Nơi có tài liệu": "Held by",
    "Ký hiệu xếp giá": "Call number",
    "Vị trí": "Location",
    "Tình trạng": "Status",
    "Mã vạch": "Barcode",
    "Xem trong mục lục của thư viện": "View in the library's own catalogue",
    "Các phiên bản khác": "Other versions",
    "Xuất biểu ghi": "Export",
    "In": "Print",
    "Đường dẫn cố định": "Permalink",
    "Không tìm thấy biểu ghi": "Record not found",
    "Biểu ghi này không tồn tại hoặc đã bị xóa.": "This record does not exist or has been removed.",
    "Về trang tìm kiếm": "Back to search",
    "thư viện": "libraries",
    "Tỉnh/thành không rõ": "Province unknown",
    "Trở lại kết quả": "Back to results",
    "Nhan đề": "Title",
    "Trang chủ": "Home",
    # errors
    "Lỗi": "Error",
    "Yêu cầu không hợp lệ": "Bad request",
    "Không tìm thấy trang": "Page not found",
    # staff
    "Đăng nhập quản trị": "Staff login",
    "Mã đăng nhập": "Staff token",
    "Đăng nhập": "Log in",
    "Đăng xuất": "Log out",
    "Mã đăng nhập không đúng.": "Wrong staff token.",
    "Phiên làm việc đã hết hạn, vui lòng thử lại.": "Your session expired; please try again.",
    "Bảng điều khiển": "Dashboard",
    "Thư viện thành viên": "Member libraries",
    "Mã": "Code",
    "Tên": "Name",
    "Thu thập thành công gần nhất": "Last success",
    "Lần thu thập gần nhất": "Last run",
    "Số biểu ghi": "Records",
    "Mới": "New",
    "Cập nhật": "Updated",
    "Đã xóa": "Deleted",
    "Lỗi thu thập": "Errors",
    "Bị cách ly": "Quarantined",
    "Lần chạy kế tiếp": "Next run",
    "Thu thập ngay": "Harvest now",
    "Thu thập toàn bộ": "Full harvest",
    "Đã bắt đầu thu thập": "Harvest started",
    "Lịch sử thu thập": "Harvest history",
    "Bắt đầu": "Started",
    "Kết thúc": "Finished",
    "Trạng thái": "Status",
    "Toàn bộ": "Full",
    "Yêu cầu": "Requests",
    "Không đổi": "Unchanged",
    "Hỏng": "Failed",
    "Chưa có lần thu thập nào.": "No harvests yet.",
    "Biểu ghi không đọc được khi thu thập": "Records unreadable at harvest",
    "Nhận được nhưng không đọc được (XML hỏng, thiếu định danh, biểu ghi hỏng trong tệp nhập). Bản tốt đã có "
    "vẫn giữ nguyên; mục sẽ được khắc phục khi nhận được bản đọc được.":
        "Received but unreadable (broken XML, a header without an identifier, a damaged record in an imported "
        "file). A good copy already stored stays as it is; the entry is resolved when a readable copy arrives.",
    "Đã khắc phục (30 ngày)": "Resolved (last 30 days)",
    "Trang danh sách (ListRecords)": "List page (ListRecords)",
    "Thử lại (GetRecord)": "Retry (GetRecord)",
    "Nhập tệp": "File import",
    "không có định danh": "no identifier",
    "Vị trí trong dữ liệu nhận": "Position in what was received",
    "Ngày cập nhật (datestamp)": "Datestamp",
    "Nguồn": "Source",
    "Số lần thử lại": "Retries",
    "Lỗi lần thử lại gần nhất": "Last retry error",
    "Lần đầu gặp": "First seen",
    "Lần gặp gần nhất": "Last seen",
    "URL yêu cầu hoặc tệp": "Request URL or file",
    "Không có biểu ghi nào đang chờ khắc phục.": "No unreadable records waiting for a good copy.",
    "Biểu ghi không chuẩn hóa được": "Records normalization could not interpret",
    "Đọc được nhưng bước chuẩn hóa không hiểu được nội dung.":
        "Read, but normalization could not interpret their content.",
    "Không có biểu ghi nào không chuẩn hóa được.": "No records failed normalization.",
    "Khi thu thập": "At harvest",
    "Khi chuẩn hóa": "At normalization",
    "Định danh OAI": "OAI identifier",
    "Dữ liệu gốc": "Raw payload",
    "Tải dữ liệu gốc": "Download raw payload",
    "Lỗi khi thu thập": "Harvest errors",
    "Giai đoạn": "Stage",
    "Thông báo": "Message",
    "Cấu hình": "Configuration",
    "Lịch": "Schedule",
    "Ngày cập nhật mốc": "Watermark",
    "Bản ghi hợp nhất": "Union record",
    "Cụm biểu ghi": "Cluster",
    "Thành viên": "Members",
    "Quy tắc": "Rule",
    "Bằng chứng": "Evidence",
    "Đang tìm": "Searching for",
    "Không có kết quả đúng dấu như đã gõ; đây là các kết quả không phân biệt dấu.":
        "Nothing matches the marks as typed; these results ignore the marks.",
    "Trường": "Field",
    "So sánh": "Comparison",
    "Điểm": "Weight",
    "ngưỡng": "threshold",
    "Biểu ghi gốc": "Base record",
    "Tách ra": "Split off",
    "Không bao giờ gộp": "Never merge",
    "Gộp với bản ghi khác": "Merge with another record",
    "Mã bản ghi hợp nhất cần gộp vào đây": "Id of the union record to merge into this one",
    "Gộp": "Merge",
    "với": "with",
    "Ghi chú (không bắt buộc)": "Note (optional)",
    "Quyết định của cán bộ": "Staff decisions",
    "Biểu ghi đã tách": "Record split off",
    "Đã ghi nhận quyết định và xử lý lại.": "Decision recorded and records re-processed.",
    "Mở trang cho bạn đọc": "Open the reader page",
    "Số biểu ghi theo thư viện": "Records per library",
    "Bản ghi nguồn": "Source records",
    "Bản ghi hợp nhất có": "Union records held",
    "Chỉ thư viện này có": "Unique holdings",
    "Trùng lặp giữa các thư viện": "Overlap between libraries",
    "Số bản ghi hợp nhất của thư viện ở hàng mà thư viện ở cột cũng có.":
        "How many of the row library's union records the column library also holds.",
    "Tăng trưởng theo năm": "Growth per year",
    "Năm": "Year",
    "Bản ghi nguồn mới": "New source records",
    "Bản ghi hợp nhất mới": "New union records",
    "Lũy kế": "Cumulative",
    "Tải CSV": "Download CSV",
    "Tổng": "Total",
    "Không có": "None",
    "chưa bao giờ": "never",
    "Dữ liệu JSON": "JSON data",
    "Đang chạy": "Running",
}


def translator(lang: str) -> Callable[[str], str]:
    if lang == "en":
        return lambda text: EN.get(text, text)
    return lambda text: text


def pick_lang(query: Mapping[str, str], cookies: Mapping[str, str], accept_language: str | None = None) -> str:
    """The interface language: ?lang= first, then the cookie, then Vietnamese (the default for everyone)."""
    for value in (query.get("lang"), cookies.get(COOKIE)):
        if value in LANGS:
            return value
    return DEFAULT_LANG


LANGUAGE_NAMES = {
    "vie": ("Tiếng Việt", "Vietnamese"),
    "eng": ("Tiếng Anh", "English"),
    "fre": ("Tiếng Pháp", "French"),
    "fra": ("Tiếng Pháp", "French"),
    "rus": ("Tiếng Nga", "Russian"),
    "chi": ("Tiếng Trung", "Chinese"),
    "zho": ("Tiếng Trung", "Chinese"),
    "jpn": ("Tiếng Nhật", "Japanese"),
    "kor": ("Tiếng Hàn", "Korean"),
    "ger": ("Tiếng Đức", "German"),
    "deu": ("Tiếng Đức", "German"),
    "lao": ("Tiếng Lào", "Lao"),
    "khm": ("Tiếng Khmer", "Khmer"),
    "tha": ("Tiếng Thái", "Thai"),
    "spa": ("Tiếng Tây Ban Nha", "Spanish"),
    "ita": ("Tiếng Ý", "Italian"),
    "lat": ("Tiếng La-tinh", "Latin"),
    "und": ("Không xác định", "Undetermined"),
    "mul": ("Nhiều ngôn ngữ", "Multiple languages"),
}

FORMAT_NAMES = {
    "book": ("Sách", "Book"),
    "serial": ("Ấn phẩm định kỳ", "Serial"),
    "map": ("Bản đồ", "Map"),
    "music": ("Âm nhạc", "Music recording"),
    "score": ("Bản nhạc", "Score"),
    "video": ("Phim, video", "Video"),
    "audio": ("Sách nói, ghi âm", "Audio"),
    "electronic": ("Tài liệu điện tử", "Electronic resource"),
    "mixed": ("Tài liệu hỗn hợp", "Mixed materials"),
    "other": ("Khác", "Other"),
}

STATUS_NAMES = {
    "running": ("Đang chạy", "Running"),
    "succeeded": ("Thành công", "Succeeded"),
    "succeeded_with_errors": ("Thành công, có lỗi", "Succeeded with errors"),
    "failed": ("Thất bại", "Failed"),
}


def label(table: dict[str, tuple[str, str]], value: str | None, lang: str) -> str:
    if value is None:
        return ""
    names = table.get(value)
    if names is None:
        return value
    return names[1] if lang == "en" else names[0]
