"""Canonical URLs: one article, one key, whatever tracking junk the link arrived with.

courlan does the normalisation (case, default ports, sorted query, its own tracker list); we add the
trackers it does not know and drop fragments, so that ``?utm_source=rss``, ``?fbclid=...`` and
``#comments`` variants of one page fold into one row.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan import extract_domain, normalize_url

# Query parameters that only say how a reader arrived, never which page they read.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "igshid", "twclid", "ttclid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "wickedid", "ref", "ref_src", "ref_url", "referrer", "src",
        "cmpid", "cmp", "ito", "ocid", "taid", "smid", "smtyp", "share", "spm", "at_medium",
        "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4", "ns_mchannel",
        "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "sr_share", "s_cid", "xtor",
        "guccounter", "guce_referrer", "guce_referrer_sig", "rss", "feed", "from", "via",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_", "ns_", "stm_")

_SCHEME = re.compile(r"^https?://", re.IGNORECASE)


def is_http_url(url: str | None) -> bool:
    return bool(url) and bool(_SCHEME.match(url.strip()))


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The key an article is stored under: normalised, tracker-free, fragment-free.

    Raises ValueError for anything that is not an absolute http(s) URL.
    """
    url = url.strip()
    if not is_http_url(url):
        raise ValueError(f"not an http(s) URL: {url!r}")
    try:
        url = normalize_url(url)
    except (ValueError, AttributeError):
        pass  # courlan gives up on some odd URLs; the steps below still apply
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
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
