from __future__ import annotations

import pytest

from crawler.fetch.feeds import FeedError, parse_feed

RSS2 = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire &amp; Co</title><ttl>45</ttl>
<item><title>One</title><link>https://w.test/1?utm_source=rss</link><guid>w-1</guid>
<pubDate>Thu, 30 May 2024 21:14:00 GMT</pubDate><description>&lt;p&gt;Teaser &lt;b&gt;one&lt;/b&gt;&lt;/p&gt;</description></item>
<item><title>No link</title><guid isPermaLink="false">w-2</guid></item>
<item><title>Permalink guid</title><guid>https://w.test/3</guid></item>
<item><title>Future</title><link>https://w.test/4</link><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>
<item><title>Relative</title><link>/5</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Atom site</title><id>urn:x</id><updated>2024-05-31T00:00:00Z</updated>
<entry><title>A</title><link rel="alternate" href="https://a.test/a"/><id>urn:a</id>
<published>2024-05-31T13:40:00+02:00</published><author><name>Jo</name></author><summary>S</summary></entry>
</feed>"""

RSS1 = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://r.test/"><title>R</title><link>https://r.test/</link><description>d</description></channel>
<item rdf:about="https://r.test/x"><title>X</title><link>https://r.test/x</link><dc:date>2024-05-31T14:05:00Z</dc:date></item>
</rdf:RDF>"""


def test_rss2_entries_and_fields():
    feed = parse_feed(RSS2, "https://w.test/feed.xml", "application/rss+xml")
    assert feed.title == "Wire & Co" and feed.version == "rss20" and feed.ttl_seconds == 45 * 60
    links = [e.link for e in feed.entries]
    assert links == [
        "https://w.test/1?utm_source=rss",
        "https://w.test/3",
        "https://w.test/4",
        "https://w.test/5",
    ]
    first = feed.entries[0]
    assert first.guid == "w-1" and first.summary == "Teaser one"
    assert first.published_at == "2024-05-30T21:14:00+00:00"
    assert feed.entries[2].published_at is None  # a date in 2100 is a broken clock
    assert feed.skipped == 1


def test_atom_and_rss1():
    atom = parse_feed(ATOM, "https://a.test/atom")
    assert atom.version.startswith("atom")
    (entry,) = atom.entries
    assert entry.published_at == "2024-05-31T11:40:00+00:00" and entry.author == "Jo"
    rss1 = parse_feed(RSS1, "https://r.test/rdf")
    assert rss1.version == "rss10" and rss1.entries[0].published_at == "2024-05-31T14:05:00+00:00"


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body><h1>Welcome</h1></body></html>", b"\x00\xff garbage", b'{"json": true}'],
)
def test_not_a_feed(body):
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_feed(body, "https://x.test/feed")


def test_html_summaries_become_plain_text_links_and_entities_included():
    """feedparser is told not to rewrite relative links inside summaries (newsmon keeps their
    text only): the text, with its entities decoded, is what is stored, in RSS and Atom alike."""
    html = "&lt;p&gt;Read &lt;a href=&quot;/more?a=1&amp;amp;b=2&quot;&gt;the report&lt;/a&gt;"
    html += " &amp;amp; its &lt;img src=&quot;../x.png&quot;/&gt;annex&lt;/p&gt;"
    rss = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
        f"<item><title>A</title><link>/a/1</link><description>{html}</description></item>"
        "</channel></rss>"
    ).encode()
    atom = (
        "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom' xml:base='http://h.test/s/'>"
        "<title>T</title><entry><title>A</title><link href='a/1'/><id>x</id>"
        f"<summary type='html'>{html}</summary></entry></feed>"
    ).encode()
    for body, link in ((rss, "http://h.test/a/1"), (atom, "http://h.test/s/a/1")):
        entry = parse_feed(body, "http://h.test/feed.xml").entries[0]
        assert entry.summary == "Read the report & its annex"
        assert entry.link == link
