//! Markdown written by users (challenge descriptions, rules, announcements,
//! later submissions), rendered with pulldown-cmark and sanitised with
//! ammonia: no scripts, no event handlers, no `javascript:` or `data:` URLs,
//! and external links marked `rel="nofollow noopener noreferrer"`.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{html, Options, Parser};

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("nofollow noopener noreferrer"))
            .url_relative(ammonia::UrlRelative::PassThrough);
        b
    })
}

/// Renders Markdown to safe HTML.
pub fn render(md: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    let parser = Parser::new_ext(md, opts);
    let mut raw = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    sanitizer().clean(&raw).to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn formatting_survives() {
        let h = render("# Title\n\n**bold** and [link](https://example.org)\n\n| a | b |\n|---|---|\n| 1 | 2 |");
        assert!(h.contains("<h1>Title</h1>"));
        assert!(h.contains("<strong>bold</strong>"));
        assert!(h.contains("href=\"https://example.org\""));
        assert!(h.contains("rel=\"nofollow noopener noreferrer\""));
        assert!(h.contains("<table>"));
    }

    #[test]
    fn an_xss_corpus_renders_inert() {
        let corpus = [
            "<script>alert(1)</script>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<img src=x onerror=alert(1)>",
            "<svg onload=alert(1)><circle/></svg>",
            "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<form action=\"https://evil.example\"><input></form>",
            "<object data=\"x\"></object><embed src=\"x\">",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        ];
        for input in corpus {
            let h = render(input).to_lowercase();
            for bad in [
                "<script",
                "javascript:",
                "onerror",
                "onload",
                "data:",
                "<iframe",
                "<svg",
                "style=",
                "<form",
                "<object",
                "<embed",
            ] {
                assert!(!h.contains(bad), "{input:?} rendered {h:?}");
            }
        }
    }
}
