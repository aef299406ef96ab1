"""Canonical URLs: one article, one key, whatever tracking junk the link arrived with.

This is the one URL normaliser: the crawl keys articles with it and the feeds.yaml checks spot a
source listed twice with it. courlan normalises scheme, host, default port and path; the query is
ours alone, filtered by :data:`TRACKING_PARAMS` and :data:`TRACKING_PREFIXES` and nothing else
(courlan's own tracker pattern also drops ``source``, ``cid``, ``uid``, ``gallery`` and any name
beginning ``ref``, which folds distinct pages into one). A parameter that selects a page, a part
of a list or a format is kept, whatever its name suggests elsewhere: a paginated sitemap
``...?outputType=xml&from=100`` keeps its page and ``/?feed=rss2`` stays a feed, not the home page.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan import extract_domain, normalize_url

# Query parameters that only say how a reader arrived, never which page they read (compared in
# lower case). Anything not listed here, or matched by a prefix below, is part of the page's
# address and is kept.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "ysclid", "igshid", "twclid",
        "ttclid", "wbraid", "gbraid", "li_fat_id", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
        "wickedid", "ref", "ref_src", "ref_url", "referrer", "referer", "src", "via", "source",
        "cmpid", "cmp", "ito", "ocid", "taid", "smid", "smtyp", "share", "spm", "sr_share",
        "s_cid", "xtor", "guccounter", "guce_referrer", "guce_referrer_sig", "campaign", "medium",
        "affiliate", "aff", "affid", "partnerid", "clickid",
    }
)  # fmt: skip
TRACKING_PREFIXES = (
    "utm_", "pk_", "mtm_", "hsa_", "at_", "ns_", "stm_", "mc_", "itm_", "oly_", "vero_",
)  # fmt: skip

# Parameters that pick a page, an offset or a format of a list. Never tracking, whatever a prefix
# rule might match: listed so that a later addition to the tracking rules cannot drop them.
PAGE_PARAMS = frozenset(
    {"from", "page", "offset", "start", "p", "pg", "outputtype", "output", "format", "feed",
     "rss", "limit", "size", "count", "per_page", "before", "after", "since", "until", "cursor"}
)  # fmt: skip

_SCHEME = re.compile(r"^https?://", re.IGNORECASE)


def is_http_url(url: str | None) -> bool:
    return bool(url) and bool(_SCHEME.match(url.strip()))


def is_tracking_param(name: str) -> bool:
    """Whether a query parameter only records how the reader arrived (dropped from keys)."""
    low = name.lower()
    if low in PAGE_PARAMS:
        return False
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The key an article is stored under: normalised, tracker-free, fragment-free.

    Raises ValueError for anything that is not an absolute http(s) URL.
    """
    url = url.strip()
    if not is_http_url(url):
        raise ValueError(f"not an http(s) URL: {url!r}")
    raw = urlsplit(url)
    # courlan sees no query: its own tracker pattern must not decide what is tracking.
    address = urlunsplit((raw.scheme, raw.netloc, raw.path, "", ""))
    try:
        address = normalize_url(address)
    except (ValueError, AttributeError):
        pass  # courlan gives up on some odd URLs; the steps below still apply
    parts = urlsplit(address)
    query = [
        (k, v) for k, v in parse_qsl(raw.query, keep_blank_values=True) if not is_tracking_param(k)
    ]
    host = (parts.hostname or "").lower().rstrip(".")
    netloc = host
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80)
        or (parts.scheme == "https" and parts.port == 443)
    ):
        netloc = f"{host}:{parts.port}"
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(sorted(query)), ""))


_VARIANT_HOST = re.compile(r"^(?:www|m|mobile|amp|amp-\w+)\.", re.IGNORECASE)
_AMP_PATH = re.compile(r"(?:/amp/?|\.amp(?:\.html?)?|/amp\.html?)$", re.IGNORECASE)
_AMP_PARAMS = {"amp", "outputtype", "output", "view", "mode"}


def url_key(url: str) -> str:
    """One key for a page and its AMP and mobile variants: ``m.``/``amp.``/``www.`` hosts,
    ``/amp`` paths and ``?amp=1``/``?outputType=amp`` folded. Stored as a URL form of the
    article (prefix ``key:``), so a variant arriving later finds the article."""
    canonical = canonical_url(url)
    parts = urlsplit(canonical)
    host = _VARIANT_HOST.sub("", parts.netloc)
    path = _AMP_PATH.sub("", parts.path) or "/"
    if path != "/":
        path = path.rstrip("/")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not (k.lower() in _AMP_PARAMS and (v.lower() in ("", "1", "amp", "true")))
    ]
    return "key:" + urlunsplit(("", host, path, urlencode(query), ""))[2:]


def site_of(url: str) -> str:
    """Registered domain (``bbc.co.uk`` for ``https://www.bbc.co.uk/news``), or the host."""
    host = (urlsplit(url).hostname or "").lower()
    if re.match(r"^[\d.]+$", host) or host == "localhost" or "." not in host:
        return host  # loopback and IP hosts have no registered domain
    return extract_domain(url) or host


def is_trustworthy_canonical(page_url: str, canonical: str | None) -> bool:
    """Whether a page's declared canonical URL may replace the URL we fetched.

    Syndicated copies often declare the original outlet's URL as canonical; trusting that would
    fold the copy into the original's row and lose the outlet's coverage, so only same-site
    canonicals are taken. Canonicals that point at the site's front page (a common template bug)
    are ignored too.
    """
    if not canonical or not is_http_url(canonical):
        return False
    if site_of(page_url) != site_of(canonical):
        return False
    if urlsplit(page_url).port != urlsplit(canonical).port:
        return False
    path = urlsplit(canonical).path.strip("/")
    return bool(path)
