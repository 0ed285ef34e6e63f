import html


def text(response) -> str:
    """The page as a person reads it: decoded and unescaped."""
    return html.unescape(response.content.decode())
