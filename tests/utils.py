import html
import re


def text(response) -> str:
    """The page as a person reads it: decoded and unescaped."""
    return html.unescape(response.content.decode())


ITEM = re.compile(
    r'<a class="fw-semibold" href="(?P<url>[^"]+)">'
    r"<span[^>]*>(?P<count>\d+)</span>(?P<label>[^<]+)</a>"
)


def todo_items(response) -> dict[str, tuple[int, str]]:
    """The to-do list of a home page: label → (count, link)."""
    return {
        html.unescape(m["label"]): (int(m["count"]), html.unescape(m["url"]))
        for m in ITEM.finditer(response.content.decode())
    }
